# docc compiled extractor: doc_type=lab_report
# schema_sha256=530cc9792380031bf453932e731e19964685eebc782dc26efb1719526f3ceff8
# samples_sha256=9e1d79c64db50c4508772f7515c1a487c157a578a45ded262965b3809bf6abf1
# generators=synth+vllm model=qwen2.5-coder-0.5b-instruct
# Generated code: review it like any code; edits break the lock (recompile instead).
# Runner-up candidates: the run time compares their values with extract()'s.
from extractors import runtime


def alt1_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['patient', 'patient name'],
        min_score=2.0,
        max_words=5,
        label_relations={'patient name': 'right'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt2_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['patient', 'patient name'],
        keywords={'name': 0.75, 'pati': 0.714},
        foes={'auth': 1.0, 'birt': 1.0, 'clin': 0.5, 'coll': 1.0, 'dob': 1.0, 'hosp': 1.0, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'npi': 1.0, 'numb': 1.0, 'orde': 0.75, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0},
        min_score=0.6,
        max_words=5,
        label_relations={'patient name': 'right'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt1_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'date of birth', 'dob'],
        keywords={'birt': 1.0, 'date': 0.455, 'dob': 1.0},
        foes={'auth': 1.0, 'clin': 0.5, 'coll': 1.0, 'hosp': 1.0, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'npi': 1.0, 'numb': 1.0, 'orde': 0.75, 'pati': 0.714, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0},
        min_score=0.6,
        max_words=5,
        label_orders={'birth date': 'dmy', 'date of birth': 'mdy'},
        label_relations={'birth date': 'below', 'date of birth': 'right', 'dob': 'colon'},
        order=order,
        pairs=pairs,
    )


def alt2_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'date of birth', 'dob'],
        keywords={'birt': 1.0, 'date': 0.455, 'dob': 1.0},
        foes={'auth': 1.0, 'clin': 0.5, 'coll': 1.0, 'hosp': 1.0, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'npi': 1.0, 'numb': 1.0, 'orde': 0.75, 'pati': 0.714, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0},
        min_score=0.4,
        max_words=5,
        label_orders={'birth date': 'dmy', 'date of birth': 'mdy'},
        label_relations={'birth date': 'below', 'date of birth': 'right', 'dob': 'colon'},
        order=order,
        pairs=pairs,
    )


def alt1_mrn(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['hospital number', 'mrn', 'patient id'],
        lex_labels=['beneficiary', 'center', 'centre', 'chart', 'client', 'clinic', 'facility', 'hosp no', 'hosp reg no', 'hospital', 'lab', 'laboratory', 'medical record', 'medical record number', 'member', 'mr number', 'name of patient', 'patient identifier', 'patient number', 'performing lab', 'pt', 'pt name', 'record no', 'record number', 'reg no', 'registration number', 'resident', 'unit number', 'urn'],
        keywords={'bene': 0.8, 'cent': 0.8, 'char': 0.8, 'clie': 0.8, 'faci': 0.8, 'hosp': 0.5, 'id': 1.0, 'labo': 0.8, 'memb': 0.8, 'mrn': 1.0, 'numb': 1.0, 'pati': 0.286, 'pt': 0.8, 'resi': 0.8, 'urn': 0.8},
        foes={'auth': 1.0, 'birt': 1.0, 'clin': 0.5, 'coll': 1.0, 'dob': 1.0, 'lab': 1.0, 'name': 0.75, 'npi': 1.0, 'orde': 0.75, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0},
        min_score=0.6,
        max_words=3,
        label_relations={'hospital number': 'below', 'mrn': 'right', 'patient id': 'colon'},
        order=order,
        pairs=pairs,
    )


def alt2_mrn(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['hospital number', 'mrn', 'patient id'],
        keywords={'hosp': 0.5, 'id': 1.0, 'mrn': 1.0, 'numb': 1.0, 'pati': 0.286},
        foes={'auth': 1.0, 'birt': 1.0, 'clin': 0.5, 'coll': 1.0, 'dob': 1.0, 'lab': 1.0, 'name': 0.75, 'npi': 1.0, 'orde': 0.75, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0},
        min_score=0.6,
        max_words=3,
        label_relations={'hospital number': 'below', 'mrn': 'right', 'patient id': 'colon'},
        order=order,
        pairs=pairs,
    )


def alt1_collection_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['collected', 'date collected'],
        min_score=2.0,
        max_words=5,
        label_orders={'collected': 'mdy', 'date collected': 'dmy'},
        label_relations={'date collected': 'below'},
        order=order,
        pairs=pairs,
    )


def alt2_collection_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['collected', 'date collected'],
        keywords={'coll': 1.0, 'date': 0.273},
        foes={'auth': 1.0, 'birt': 1.0, 'clin': 0.5, 'dob': 1.0, 'hosp': 1.0, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'npi': 1.0, 'numb': 1.0, 'orde': 0.75, 'pati': 0.714, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0},
        min_score=0.6,
        max_words=5,
        label_orders={'collected': 'mdy', 'date collected': 'dmy'},
        label_relations={'date collected': 'below'},
        order=order,
        pairs=pairs,
    )


def alt1_report_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['date authorised', 'reported'],
        keywords={'auth': 1.0, 'date': 0.273, 'repo': 1.0},
        foes={'birt': 1.0, 'clin': 0.5, 'coll': 1.0, 'dob': 1.0, 'hosp': 1.0, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'npi': 1.0, 'numb': 1.0, 'orde': 0.75, 'pati': 0.714, 'phys': 0.667, 'prov': 1.0, 'requ': 1.0},
        min_score=0.6,
        max_words=5,
        label_orders={'date authorised': 'dmy', 'reported': 'mdy'},
        label_relations={'date authorised': 'below'},
        order=order,
        pairs=pairs,
    )


def alt2_report_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['date authorised', 'reported'],
        keywords={'auth': 1.0, 'date': 0.273, 'repo': 1.0},
        foes={'birt': 1.0, 'clin': 0.5, 'coll': 1.0, 'dob': 1.0, 'hosp': 1.0, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'npi': 1.0, 'numb': 1.0, 'orde': 0.75, 'pati': 0.714, 'phys': 0.667, 'prov': 1.0, 'requ': 1.0},
        min_score=0.4,
        max_words=5,
        label_orders={'date authorised': 'dmy', 'reported': 'mdy'},
        label_relations={'date authorised': 'below'},
        order=order,
        pairs=pairs,
    )


def alt1_ordering_provider(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['ordering physician', 'physician', 'requesting clinician'],
        keywords={'clin': 0.5, 'orde': 0.75, 'phys': 0.667, 'prov': 1.0, 'requ': 1.0},
        foes={'auth': 1.0, 'birt': 1.0, 'coll': 1.0, 'dob': 1.0, 'hosp': 1.0, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'npi': 1.0, 'numb': 1.0, 'pati': 0.714, 'repo': 1.0},
        min_score=0.4,
        max_words=5,
        label_relations={'ordering physician': 'right', 'physician': 'colon', 'requesting clinician': 'below'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt2_ordering_provider(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['ordering physician', 'physician', 'requesting clinician'],
        keywords={'clin': 0.5, 'orde': 0.75, 'phys': 0.667, 'prov': 1.0, 'requ': 1.0},
        foes={'auth': 1.0, 'birt': 1.0, 'coll': 1.0, 'dob': 1.0, 'hosp': 1.0, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'npi': 1.0, 'numb': 1.0, 'pati': 0.714, 'repo': 1.0},
        min_score=0.6,
        max_words=5,
        label_relations={'ordering physician': 'right', 'physician': 'colon', 'requesting clinician': 'below'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt1_ordering_npi(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['clinician npi', 'npi', 'physician npi'],
        lex_labels=['attending', 'center', 'centre', 'clinic', 'clinician', 'consultant', 'doctor', 'dr', 'facility', 'hospital', 'lab', 'laboratory', 'md', 'national provider identifier', 'ordered', 'ordering', 'performing lab', 'practitioner', 'prescriber', 'provider', 'referred', 'referring', 'requested', 'requesting', 'responsible', 'responsible clinician', 'treating physician'],
        keywords={'atte': 0.8, 'cent': 0.8, 'clin': 0.5, 'cons': 0.8, 'doct': 0.8, 'dr': 0.8, 'faci': 0.8, 'labo': 0.8, 'md': 0.8, 'npi': 1.0, 'orde': 0.25, 'phys': 0.333, 'prac': 0.8, 'pres': 0.8, 'refe': 0.8, 'resp': 0.8},
        foes={'auth': 1.0, 'birt': 1.0, 'coll': 1.0, 'dob': 1.0, 'hosp': 1.0, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'numb': 1.0, 'pati': 0.714, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0},
        system='npi',
        min_score=0.6,
        max_words=3,
        context=('results',),
        label_relations={'clinician npi': 'below', 'npi': 'colon', 'physician npi': 'right'},
        order=order,
        pairs=pairs,
    )


def alt2_ordering_npi(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='code',
        labels=['clinician npi', 'npi', 'physician npi'],
        keywords={'clin': 0.5, 'npi': 1.0, 'orde': 0.25, 'phys': 0.333},
        foes={'auth': 1.0, 'birt': 1.0, 'coll': 1.0, 'dob': 1.0, 'hosp': 1.0, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'numb': 1.0, 'pati': 0.714, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0},
        system='npi',
        min_score=0.6,
        max_words=3,
        context=('results',),
        label_relations={'clinician npi': 'below', 'npi': 'colon', 'physician npi': 'right'},
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.search(doc, '(?<![\\w.])(\\d{10})(?![\\w])', kind='code', order=order)
    return found


def alt1_lab_name(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=['st aldric university hospital'],
        keywords={'aldr': 1.0, 'hosp': 0.5, 'lab': 1.0, 'name': 0.25, 'st': 1.0, 'univ': 1.0},
        foes={'auth': 1.0, 'birt': 1.0, 'clin': 0.5, 'coll': 1.0, 'dob': 1.0, 'id': 1.0, 'mrn': 1.0, 'npi': 1.0, 'numb': 1.0, 'orde': 0.75, 'pati': 0.714, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0},
        min_score=0.6,
        max_words=12,
        trailing=('laboratory report', 'page'),
        label_relations={'st aldric university hospital': 'below'},
        no_digits=True,
        capitalised=True,
        max_len=10,
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.heading(doc, largest=True, rank=0)
    return found


def alt2_lab_name(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=['st aldric university hospital'],
        keywords={'aldr': 1.0, 'hosp': 0.5, 'lab': 1.0, 'name': 0.25, 'st': 1.0, 'univ': 1.0},
        foes={'auth': 1.0, 'birt': 1.0, 'clin': 0.5, 'coll': 1.0, 'dob': 1.0, 'id': 1.0, 'mrn': 1.0, 'npi': 1.0, 'numb': 1.0, 'orde': 0.75, 'pati': 0.714, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0},
        min_score=0.4,
        max_words=12,
        trailing=('laboratory report', 'page'),
        label_relations={'st aldric university hospital': 'below'},
        no_digits=True,
        capitalised=True,
        max_len=10,
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.heading(doc, largest=True, rank=0)
    return found


def alt1_results(doc, pairs, order):
    found = runtime.grid_rows(
        doc,
        columns={'flag': {'headers': ('flag', 'abn', 'abnormal', 'indicator'), 'learned': 1, 'part': 'all'}, 'loinc': {'headers': ('loinc', 'code', 'cpt', 'hcpcs', 'icd', 'icd-10', 'icd-10-cm'), 'learned': 1, 'part': 'all'}, 'reference_range': {'headers': ('reference range', 'expected', 'interval', 'normal', 'normal range', 'range', 'ref', 'ref range', 'reference', 'standard range'), 'learned': 1, 'part': 'all'}, 'test_name': {'headers': ('test', 'analyte', 'assay', 'component', 'exam', 'investigation', 'test name'), 'learned': 1, 'part': 'all'}, 'unit': {'headers': ('units', 'unit', 'uom'), 'learned': 1, 'part': 'all', 'within': ('value', 'rest')}, 'value': {'headers': ('result', 'finding', 'observed', 'result value', 'value', 'your value'), 'learned': 1, 'part': 'all'}},
        anchor='test_name',
        required=('value',),
        headings=('clinical biochemistry and haematology', 'cumulative results report', 'results'),
    )
    if found is not None:
        return found
    return runtime.section_rows(
        doc,
        headings=('clinical biochemistry and haematology', 'cumulative results report', 'results'),
        roles={'test_name': 'name', 'unit': 'unit', 'value': 'value'},
    )


def alt2_results(doc, pairs, order):
    columns = [
        runtime.Column('test_name', 'string', ('analyte', 'test', 'test name'), (('anal', 1.0), ('name', 1.0), ('test', 1.0)), required=True),
        runtime.Column('loinc', 'code', ('loinc', 'loinc code'), (('code', 1.0), ('loin', 1.0)), system='loinc', required=True, shape='(?<![\\w.])(\\d+\\-\\d{1})(?![\\w])'),
        runtime.Column('value', 'string', ('result', 'value'), (('resu', 1.0), ('valu', 1.0)), required=True),
        runtime.Column('unit', 'string', ('unit', 'units'), (('unit', 1.0),)),
        runtime.Column('reference_range', 'string', ('ref range', 'reference interval', 'reference range'), (('inte', 1.0), ('rang', 1.0), ('ref', 1.0), ('refe', 1.0)), required=True),
        runtime.Column('flag', 'string', ('flag',), (('flag', 1.0),)),
    ]
    return runtime.table(doc, columns, order=order, min_columns=1)


LABELS = ('attending', 'authorised', 'authorized', 'beneficiary', 'birth', 'birth date', 'birthdate', 'born', 'center', 'centre', 'chart', 'client', 'clinic', 'clinician', 'clinician npi', 'collected', 'collection', 'collection date', 'consultant', 'date authorised', 'date collected', 'date of birth', 'date reported', 'dob', 'doctor', 'dr', 'drawn', 'facility', 'hosp no', 'hosp reg no', 'hospital', 'hospital number', 'lab', 'laboratory', 'md', 'medical record', 'medical record number', 'member', 'mr number', 'mrn', 'name of patient', 'national provider identifier', 'npi', 'ordered', 'ordering', 'ordering physician', 'patient', 'patient id', 'patient identifier', 'patient name', 'patient number', 'performing lab', 'physician', 'physician npi', 'practitioner', 'prescriber', 'provider', 'pt', 'pt name', 'record no', 'record number', 'referred', 'referring', 'reg no', 'registration number', 'released', 'report date', 'reported', 'requested', 'requesting', 'requesting clinician', 'resident', 'responsible', 'responsible clinician', 'result date', 'resulted', 'sampled', 'specimen', 'st aldric university hospital', 'treating physician', 'unit number', 'urn', 'verified')


def extract(doc):
    pairs = runtime.pair_index(doc, LABELS)
    order = runtime.date_order(doc, 'mdy')
    return {
        'patient_name': [alt1_patient_name(doc, pairs, order), alt2_patient_name(doc, pairs, order)],
        'birth_date': [alt1_birth_date(doc, pairs, order), alt2_birth_date(doc, pairs, order)],
        'mrn': [alt1_mrn(doc, pairs, order), alt2_mrn(doc, pairs, order)],
        'collection_date': [alt1_collection_date(doc, pairs, order), alt2_collection_date(doc, pairs, order)],
        'report_date': [alt1_report_date(doc, pairs, order), alt2_report_date(doc, pairs, order)],
        'ordering_provider': [alt1_ordering_provider(doc, pairs, order), alt2_ordering_provider(doc, pairs, order)],
        'ordering_npi': [alt1_ordering_npi(doc, pairs, order), alt2_ordering_npi(doc, pairs, order)],
        'lab_name': [alt1_lab_name(doc, pairs, order), alt2_lab_name(doc, pairs, order)],
        'results': [alt1_results(doc, pairs, order), alt2_results(doc, pairs, order)],
    }
