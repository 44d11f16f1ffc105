# docc compiled extractor: doc_type=claim_cms1500
# schema_sha256=e251f544ef737d1ce20d1091d76f48a19ed29c0920d36e2fa070fdd61a22865f
# samples_sha256=167b13ab350d1bbc037fae4cf191ae0a009c1456014ebc845424f5eae88c4f3c
# generators=synth+vllm model=qwen2.5-coder-0.5b-instruct
# Generated code: review it like any code; edits break the lock (recompile instead).
# Runner-up candidates: the run time compares their values with extract()'s.
from extractors import runtime


def alt1_payer_name(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=['insurance', 'payer'],
        keywords={'insu': 0.333, 'paye': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'memb': 1.0, 'name': 0.556, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'pati': 0.7, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.9,
        max_words=12,
        trailing=('po box',),
        label_relations={'insurance': 'right', 'payer': 'colon'},
        no_digits=True,
        capitalised=True,
        max_len=10,
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.heading(doc, largest=False, rank=0)
    return found


def alt2_payer_name(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=['insurance', 'payer'],
        keywords={'insu': 0.333, 'paye': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'memb': 1.0, 'name': 0.556, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'pati': 0.7, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=12,
        trailing=('po box',),
        label_relations={'insurance': 'right', 'payer': 'colon'},
        no_digits=True,
        capitalised=True,
        max_len=10,
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.heading(doc, largest=False, rank=0)
    return found


def alt1_insured_id(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=["insured's id number", 'member id', 'policy number'],
        keywords={'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'numb': 0.667, 'poli': 0.5},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'name': 0.556, 'no': 1.0, 'npi': 0.5, 'pati': 0.7, 'paye': 1.0, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=3,
        label_relations={"insured's id number": 'below', 'member id': 'colon', 'policy number': 'right'},
        order=order,
        pairs=pairs,
    )


def alt2_insured_id(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=["insured's id number", 'member id', 'policy number'],
        keywords={'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'numb': 0.667, 'poli': 0.5},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'name': 0.556, 'no': 1.0, 'npi': 0.5, 'pati': 0.7, 'paye': 1.0, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=3,
        label_relations={"insured's id number": 'below', 'member id': 'colon', 'policy number': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['patient', 'patient name', "patient's name"],
        keywords={'name': 0.556, 'pati': 0.7},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.9,
        max_words=5,
        label_relations={'patient': 'colon', 'patient name': 'right', "patient's name": 'below'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt2_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['patient', 'patient name', "patient's name"],
        min_score=2.0,
        max_words=5,
        label_relations={'patient': 'colon', 'patient name': 'right', "patient's name": 'below'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt1_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'dob', 'mm dd yyyy'],
        keywords={'birt': 1.0, 'date': 1.0, 'dd': 1.0, 'dob': 1.0, 'mm': 1.0, 'yyyy': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'char': 0.714, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'name': 0.556, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'pati': 0.7, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=5,
        label_relations={'birth date': 'right', 'dob': 'colon', 'mm dd yyyy': 'below'},
        order=runtime.date_order(doc, 'mdy'),
        pairs=pairs,
    )


def alt2_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'dd mm yyyy', 'dob', 'mm dd yyyy', 'year-month-day', 'yyyy-mm-dd'],
        min_score=2.0,
        max_words=5,
        label_relations={'birth date': 'right', 'dob': 'colon', 'mm dd yyyy': 'below'},
        order=runtime.date_order(doc, 'mdy'),
        pairs=pairs,
    )


def alt1_insured_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['institution name', "patient's name", 'policy holder', 'subscriber'],
        keywords={'hold': 1.0, 'inst': 0.5, 'name': 0.333, 'pati': 0.2, 'poli': 0.5, 'subs': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'paye': 1.0, 'prov': 1.0, 'rend': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=5,
        label_relations={"patient's name": 'below', 'policy holder': 'right', 'subscriber': 'colon'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt1_patient_account_no(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['acct', 'chart account'],
        keywords={'acco': 1.0, 'acct': 1.0, 'char': 0.286, 'no': 1.0},
        foes={'bill': 0.75, 'birt': 1.0, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'name': 0.556, 'npi': 0.5, 'numb': 1.0, 'pati': 0.7, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=3,
        context=('diagnoses',),
        label_relations={'chart account': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_diagnoses(doc, pairs, order):
    columns = [
        runtime.Column('pointer', 'string', ('ref',), (('poin', 1.0), ('ref', 1.0)), required=True),
        runtime.Column('icd10_code', 'code', ('icd-10-cm',), (('code', 1.0), ('icd-', 1.0), ('icd1', 1.0)), system='icd10cm', required=True),
    ]
    return runtime.table(doc, columns, order=order, min_columns=1)


def alt2_diagnoses(doc, pairs, order):
    columns = [
        runtime.Column('pointer', 'string', ('diagnosis pointer', 'pointers', 'ref', 'reference', 'references', 'referring to diagnosis table'), (('diag', 0.5), ('poin', 1.0), ('ref', 1.0), ('refe', 0.5), ('tabl', 0.5), ('to', 0.5)), required=True),
        runtime.Column('icd10_code', 'code', ('cde', 'cpt/cpc/hcpcs', 'icd-10 cm code', 'icd-10-cm'), (('cde', 0.5), ('cm', 0.5), ('code', 1.0), ('cpt/', 0.5), ('icd-', 1.0), ('icd1', 1.0)), system='icd10cm', required=True),
    ]
    return runtime.table(doc, columns, order=order, min_columns=1)


def alt1_service_lines(doc, pairs, order):
    columns = [
        runtime.Column('date_of_service', 'date', ('dos', 'from mm dd yy', 'service date'), (('date', 1.0), ('dd', 1.0), ('dos', 1.0), ('from', 1.0), ('mm', 1.0), ('of', 1.0), ('serv', 1.0), ('yy', 1.0)), required=True),
        runtime.Column('cpt_code', 'code', ('code', 'cpe', 'cpt', 'cpt/hcpcs'), (('code', 1.0), ('cpe', 1.0), ('cpt', 1.0), ('cpt/', 1.0)), system='cpt', required=True, shape='(?<![\\w.])(\\d{5})(?![\\w])'),
        runtime.Column('modifier', 'string', ('mod', 'modifier'), (('mod', 1.0), ('modi', 1.0))),
        runtime.Column('dx_pointer', 'string', ('dx', 'dx ptr', 'pointer'), (('dx', 1.0), ('poin', 1.0), ('ptr', 1.0)), required=True),
        runtime.Column('units', 'integer', ('or units', 'qty', 'units'), (('qty', 1.0), ('unit', 1.0)), required=True, shape='(?<![\\w.])(\\d+)(?![\\w])'),
        runtime.Column('charge', 'decimal', ('amount', 'charge', 'charges'), (('amou', 1.0), ('char', 1.0)), required=True),
    ]
    return runtime.table(doc, columns, order=order, min_columns=1)


def alt1_total_charge(doc, pairs, order):
    return runtime.field(
        doc,
        kind='decimal',
        labels=['total charge', 'total charges', 'total due'],
        keywords={'char': 0.714, 'due': 1.0, 'tota': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'date': 1.0, 'dob': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'name': 0.556, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'pati': 0.7, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0},
        min_score=0.9,
        max_words=3,
        context=('charges', 'services rendered'),
        label_relations={'total charge': 'below', 'total charges': 'colon', 'total due': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_billing_provider(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=['claim detail report', 'service facility location info'],
        keywords={'bill': 0.25, 'clai': 1.0, 'deta': 1.0, 'faci': 1.0, 'info': 1.0, 'loca': 1.0, 'prov': 1.0, 'repo': 1.0, 'serv': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'name': 0.556, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'pati': 0.7, 'paye': 1.0, 'poli': 0.5, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=12,
        label_relations={'claim detail report': 'right', 'service facility location info': 'below'},
        no_digits=True,
        capitalised=True,
        max_len=10,
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.heading(doc, largest=True, rank=0)
    return found


def alt2_billing_provider(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=['claim detail report', 'service facility location info'],
        min_score=2.0,
        max_words=12,
        label_relations={'claim detail report': 'right', 'service facility location info': 'below'},
        no_digits=True,
        capitalised=True,
        max_len=10,
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.heading(doc, largest=True, rank=0)
    return found


def alt1_billing_npi(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='code',
        labels=['billing npi', 'npi'],
        system='npi',
        min_score=2.0,
        max_words=3,
        trailing=('approved',),
        label_relations={'billing npi': 'colon'},
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.search(doc, '(?<![\\w.])(\\d{10})(?![\\w])', kind='code', order=order)
    return found


def alt2_billing_npi(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['billing npi', 'npi'],
        lex_labels=['national provider identifier'],
        keywords={'bill': 0.75, 'npi': 0.5},
        foes={'acco': 1.0, 'acct': 1.0, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'name': 0.556, 'no': 1.0, 'numb': 1.0, 'pati': 0.7, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        system='npi',
        min_score=0.6,
        max_words=3,
        trailing=('approved',),
        label_relations={'billing npi': 'colon'},
        order=order,
        pairs=pairs,
    )


def alt1_rendering_npi(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='code',
        labels=['npi', 'rendering npi'],
        lex_labels=['national provider identifier'],
        keywords={'npi': 0.5, 'rend': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'name': 0.556, 'no': 1.0, 'numb': 1.0, 'pati': 0.7, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        system='npi',
        min_score=0.6,
        max_words=3,
        context=('yes x no',),
        label_relations={'npi': 'right'},
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.search(doc, '(?<![\\w.])(\\d{10})(?![\\w])', kind='code', order=order)
    return found


def alt2_rendering_npi(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['npi', 'rendering npi'],
        keywords={'npi': 0.5, 'rend': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'name': 0.556, 'no': 1.0, 'numb': 1.0, 'pati': 0.7, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        system='npi',
        min_score=0.6,
        max_words=3,
        context=('yes x no',),
        label_relations={'npi': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_federal_tax_id(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['federal tax id number', 'tax id'],
        lex_labels=['ein', 'federal tax id', 'tax', 'tin'],
        keywords={'ein': 0.8, 'fede': 1.0, 'id': 0.5, 'numb': 0.333, 'tax': 1.0, 'tin': 0.8},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'hold': 1.0, 'insu': 0.5, 'memb': 1.0, 'name': 0.556, 'no': 1.0, 'npi': 0.5, 'pati': 0.7, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=3,
        label_relations={'federal tax id number': 'below', 'tax id': 'colon'},
        order=order,
        pairs=pairs,
    )


def alt2_federal_tax_id(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['federal tax id number', 'tax id'],
        keywords={'fede': 1.0, 'id': 0.5, 'numb': 0.333, 'tax': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'hold': 1.0, 'insu': 0.5, 'memb': 1.0, 'name': 0.556, 'no': 1.0, 'npi': 0.5, 'pati': 0.7, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=3,
        label_relations={'federal tax id number': 'below', 'tax id': 'colon'},
        order=order,
        pairs=pairs,
    )


LABELS = ('account', 'account no', 'account number', 'acct', 'amount due', 'attending', 'authorised', 'authorized', 'balance', 'beneficiary', 'billed', 'billed amount', 'billing npi', 'birth', 'birth date', 'birthdate', 'born', 'cardholder', 'carrier', 'center', 'centre', 'charge', 'charges', 'chart', 'chart account', 'claim detail report', 'claim total', 'client', 'clinic', 'clinician', 'consultant', 'control', 'cost', 'date of birth', 'dob', 'doctor', 'dos', 'dr', 'ein', 'enrollee', 'facility', 'federal tax id', 'federal tax id number', 'fee', 'fees', 'health plan', 'hosp no', 'hosp reg no', 'hospital', 'hospital number', 'id number', 'insurance', 'insurance plan', 'insured', 'insured id', "insured's id number", 'insurer', 'lab', 'laboratory', 'md', 'medical record', 'medical record number', 'member', 'member id', 'mm dd yyyy', 'mr number', 'mrn', 'name of patient', 'national provider identifier', 'npi', 'patient', 'patient control no', 'patient id', 'patient identifier', 'patient name', 'patient number', "patient's name", 'payer', 'payor', 'pcn', 'performing lab', 'physician', 'plan name', 'policy holder', 'policy number', 'policyholder', 'practitioner', 'prescriber', 'price', 'provider', 'pt', 'pt name', 'record no', 'record number', 'reg no', 'registration number', 'released', 'rendering npi', 'reported', 'resident', 'responsible', 'responsible clinician', 'resulted', 'service', 'service facility location info', 'subscriber', 'subscriber id', 'sum', 'tax', 'tax id', 'tin', 'total', 'total charge', 'total charges', 'total due', 'treating physician', 'unit number', 'urn', 'verified')


def extract(doc):
    pairs = runtime.pair_index(doc, LABELS)
    order = runtime.date_order(doc, 'mdy')
    return {
        'payer_name': [alt1_payer_name(doc, pairs, order), alt2_payer_name(doc, pairs, order)],
        'insured_id': [alt1_insured_id(doc, pairs, order), alt2_insured_id(doc, pairs, order)],
        'patient_name': [alt1_patient_name(doc, pairs, order), alt2_patient_name(doc, pairs, order)],
        'birth_date': [alt1_birth_date(doc, pairs, order), alt2_birth_date(doc, pairs, order)],
        'insured_name': [alt1_insured_name(doc, pairs, order)],
        'patient_account_no': [alt1_patient_account_no(doc, pairs, order)],
        'diagnoses': [alt1_diagnoses(doc, pairs, order), alt2_diagnoses(doc, pairs, order)],
        'service_lines': [alt1_service_lines(doc, pairs, order)],
        'total_charge': [alt1_total_charge(doc, pairs, order)],
        'billing_provider': [alt1_billing_provider(doc, pairs, order), alt2_billing_provider(doc, pairs, order)],
        'billing_npi': [alt1_billing_npi(doc, pairs, order), alt2_billing_npi(doc, pairs, order)],
        'rendering_npi': [alt1_rendering_npi(doc, pairs, order), alt2_rendering_npi(doc, pairs, order)],
        'federal_tax_id': [alt1_federal_tax_id(doc, pairs, order), alt2_federal_tax_id(doc, pairs, order)],
    }
