# docc compiled extractor: doc_type=lab_report
# schema_sha256=530cc9792380031bf453932e731e19964685eebc782dc26efb1719526f3ceff8
# samples_sha256=9e1d79c64db50c4508772f7515c1a487c157a578a45ded262965b3809bf6abf1
# generators=synth
# Generated code: review it like any code; edits break the lock (recompile instead).
from extractors import runtime


def field_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['patient', 'patient name'],
        keywords={'name': 0.75, 'pati': 0.714},
        foes={'aldr': 1.0, 'auth': 1.0, 'birt': 1.0, 'clin': 0.5, 'coll': 1.0, 'dob': 1.0, 'hosp': 0.5, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'npi': 1.0, 'numb': 1.0, 'of': 1.0, 'orde': 0.75, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0, 'st': 1.0, 'univ': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'date of birth', 'dob'],
        keywords={'birt': 1.0, 'date': 0.455, 'dob': 1.0, 'of': 1.0},
        foes={'aldr': 1.0, 'auth': 1.0, 'clin': 0.5, 'coll': 1.0, 'hosp': 0.5, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'npi': 1.0, 'numb': 1.0, 'orde': 0.75, 'pati': 0.714, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0, 'st': 1.0, 'univ': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_mrn(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['hospital number', 'mrn', 'patient id'],
        keywords={'hosp': 0.5, 'id': 1.0, 'mrn': 1.0, 'numb': 1.0, 'pati': 0.286},
        foes={'aldr': 1.0, 'auth': 1.0, 'birt': 1.0, 'clin': 0.5, 'coll': 1.0, 'dob': 1.0, 'lab': 1.0, 'name': 0.75, 'npi': 1.0, 'of': 1.0, 'orde': 0.75, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0, 'st': 1.0, 'univ': 1.0},
        min_score=0.4,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_collection_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['collected', 'date collected'],
        keywords={'coll': 1.0, 'date': 0.273},
        foes={'aldr': 1.0, 'auth': 1.0, 'birt': 1.0, 'clin': 0.5, 'dob': 1.0, 'hosp': 0.5, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'npi': 1.0, 'numb': 1.0, 'of': 1.0, 'orde': 0.75, 'pati': 0.714, 'phys': 0.667, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0, 'st': 1.0, 'univ': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_report_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['date authorised', 'reported'],
        min_score=2.0,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_ordering_provider(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['ordering physician', 'physician', 'requesting clinician'],
        keywords={'clin': 0.5, 'orde': 0.75, 'phys': 0.667, 'prov': 1.0, 'requ': 1.0},
        foes={'aldr': 1.0, 'auth': 1.0, 'birt': 1.0, 'coll': 1.0, 'dob': 1.0, 'hosp': 0.5, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'npi': 1.0, 'numb': 1.0, 'of': 1.0, 'pati': 0.714, 'repo': 1.0, 'st': 1.0, 'univ': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_ordering_npi(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['clinician npi', 'npi', 'physician npi'],
        keywords={'clin': 0.5, 'npi': 1.0, 'orde': 0.25, 'phys': 0.333},
        foes={'aldr': 1.0, 'auth': 1.0, 'birt': 1.0, 'coll': 1.0, 'dob': 1.0, 'hosp': 0.5, 'id': 1.0, 'lab': 1.0, 'mrn': 1.0, 'name': 0.75, 'numb': 1.0, 'of': 1.0, 'pati': 0.714, 'prov': 1.0, 'repo': 1.0, 'requ': 1.0, 'st': 1.0, 'univ': 1.0},
        system='npi',
        min_score=0.4,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_lab_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['st aldric university hospital'],
        min_score=2.0,
        max_words=12,
        order=order,
        pairs=pairs,
    )


def field_results(doc, pairs, order):
    columns = [
        runtime.Column('test_name', 'string', ('analyte', 'test', 'test name'), (('anal', 1.0), ('name', 1.0), ('test', 1.0))),
        runtime.Column('loinc', 'code', ('loinc', 'loinc code'), (('code', 1.0), ('loin', 1.0)), 'loinc'),
        runtime.Column('value', 'string', ('result', 'value'), (('resu', 1.0), ('valu', 1.0))),
        runtime.Column('unit', 'string', ('flag units', 'unit', 'units'), (('unit', 0.778),)),
        runtime.Column('reference_range', 'string', ('ref range', 'reference interval', 'reference range'), (('inte', 1.0), ('rang', 1.0), ('ref', 1.0), ('refe', 1.0))),
        runtime.Column('flag', 'string', ('flag', 'flag units'), (('flag', 0.714),)),
    ]
    return runtime.table(doc, columns, order=order, min_columns=2)


LABELS = ('birth date', 'clinician npi', 'collected', 'date authorised', 'date collected', 'date of birth', 'dob', 'hospital number', 'mrn', 'npi', 'ordering physician', 'patient', 'patient id', 'patient name', 'physician', 'physician npi', 'reported', 'requesting clinician', 'st aldric university hospital')


def extract(doc):
    pairs = list(runtime.iter_pairs(doc, LABELS))
    order = runtime.date_order(doc, 'mdy')
    return {
        'patient_name': field_patient_name(doc, pairs, order),
        'birth_date': field_birth_date(doc, pairs, order),
        'mrn': field_mrn(doc, pairs, order),
        'collection_date': field_collection_date(doc, pairs, order),
        'report_date': field_report_date(doc, pairs, order),
        'ordering_provider': field_ordering_provider(doc, pairs, order),
        'ordering_npi': field_ordering_npi(doc, pairs, order),
        'lab_name': field_lab_name(doc, pairs, order),
        'results': field_results(doc, pairs, order),
    }
