# docc compiled extractor: doc_type=claim_cms1500
# schema_sha256=e251f544ef737d1ce20d1091d76f48a19ed29c0920d36e2fa070fdd61a22865f
# samples_sha256=167b13ab350d1bbc037fae4cf191ae0a009c1456014ebc845424f5eae88c4f3c
# generators=synth
# Generated code: review it like any code; edits break the lock (recompile instead).
from extractors import runtime


def field_payer_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['insurance', 'payer'],
        keywords={'insu': 0.5, 'name': 0.2, 'paye': 1.0},
        foes={'ab': 1.0, 'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.6, 'clai': 1.0, 'date': 1.0, 'deta': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'memb': 1.0, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'pati': 0.833, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'repo': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=12,
        order=order,
        pairs=pairs,
    )


def field_insured_id(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['member id', 'policy number'],
        keywords={'id': 0.5, 'insu': 0.25, 'memb': 1.0, 'numb': 1.0, 'poli': 0.5},
        foes={'ab': 1.0, 'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.6, 'clai': 1.0, 'date': 1.0, 'deta': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'name': 0.6, 'no': 1.0, 'npi': 0.5, 'pati': 0.833, 'paye': 1.0, 'prov': 1.0, 'rend': 1.0, 'repo': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['patient', 'patient name'],
        keywords={'name': 0.6, 'pati': 0.833},
        foes={'ab': 1.0, 'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.6, 'clai': 1.0, 'date': 1.0, 'deta': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'repo': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'dob'],
        keywords={'birt': 1.0, 'date': 1.0, 'dob': 1.0},
        foes={'ab': 1.0, 'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'char': 0.6, 'clai': 1.0, 'deta': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'repo': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_insured_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['policy holder', 'subscriber'],
        min_score=2.0,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_patient_account_no(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['acct', 'chart account'],
        keywords={'acco': 1.0, 'acct': 1.0, 'char': 0.4, 'no': 1.0},
        foes={'ab': 1.0, 'bill': 0.75, 'birt': 1.0, 'clai': 1.0, 'date': 1.0, 'deta': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'name': 0.6, 'npi': 0.5, 'numb': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'repo': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_diagnoses(doc, pairs, order):
    columns = [
        runtime.Column('pointer', 'string', ('ref',), (('poin', 1.0), ('ref', 1.0))),
        runtime.Column('icd10_code', 'code', ('icd-10-cm',), (('code', 1.0), ('icd-', 1.0), ('icd1', 1.0)), 'icd10cm'),
    ]
    return runtime.table(doc, columns, order=order, min_columns=2)


def field_service_lines(doc, pairs, order):
    columns = [
        runtime.Column('date_of_service', 'date', ('dos', 'service date'), (('date', 0.6), ('dos', 0.5), ('of', 1.0), ('serv', 0.6))),
        runtime.Column('cpt_code', 'code', ('code', 'cpe', 'cpt', 'cpt/hcpcs'), (('code', 1.0), ('cpe', 1.0), ('cpt', 1.0), ('cpt/', 1.0)), 'cpt'),
        runtime.Column('modifier', 'string', ('mod', 'modifier', 'modifier description'), (('desc', 1.0), ('mod', 1.0), ('modi', 1.0))),
        runtime.Column('dx_pointer', 'string', ('dx', 'dx ptr', 'pointer'), (('dx', 1.0), ('poin', 1.0), ('ptr', 1.0))),
        runtime.Column('units', 'integer', ('_ units', 'dos', 'from mm dd yy', 'or units', 'qty', 'service date', 'units'), (('_', 1.0), ('dd', 1.0), ('dos', 0.5), ('from', 1.0), ('mm', 1.0), ('or', 1.0), ('qty', 1.0), ('unit', 1.0), ('yy', 1.0))),
        runtime.Column('charge', 'decimal', ('amount', 'charge', 'charges'), (('amou', 1.0), ('char', 1.0))),
    ]
    return runtime.table(doc, columns, order=order, min_columns=2)


def field_total_charge(doc, pairs, order):
    return runtime.field(
        doc,
        kind='decimal',
        labels=['ab', 'total charges', 'total due'],
        keywords={'ab': 1.0, 'char': 0.6, 'due': 1.0, 'tota': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'clai': 1.0, 'date': 1.0, 'deta': 1.0, 'dob': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'repo': 1.0, 'subs': 1.0, 'tax': 1.0},
        min_score=0.4,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_billing_provider(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['claim detail report'],
        min_score=2.0,
        max_words=12,
        order=order,
        pairs=pairs,
    )


def field_billing_npi(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['billing npi', 'npi'],
        system='npi',
        min_score=2.0,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_rendering_npi(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['npi', 'rendering npi'],
        system='npi',
        min_score=2.0,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_federal_tax_id(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['tax id'],
        keywords={'fede': 1.0, 'id': 0.5, 'tax': 1.0},
        foes={'ab': 1.0, 'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.6, 'clai': 1.0, 'date': 1.0, 'deta': 1.0, 'dob': 1.0, 'due': 1.0, 'hold': 1.0, 'insu': 0.5, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'repo': 1.0, 'subs': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=3,
        order=order,
        pairs=pairs,
    )


LABELS = ('ab', 'acct', 'anderson primary care', 'billing npi', 'birth date', 'boone medical group', 'brooks medical group', 'chart account', 'claim detail report', 'dob', 'hudson primary care', 'insurance', 'member id', 'morgan health partners', 'npi', 'patient', 'patient name', 'payer', 'policy holder', 'policy number', 'rendering npi', 'stone internal medicine associates', 'subscriber', 'tax id', 'total charges', 'total due')


def extract(doc):
    pairs = list(runtime.iter_pairs(doc, LABELS))
    order = runtime.date_order(doc, 'mdy')
    return {
        'payer_name': field_payer_name(doc, pairs, order),
        'insured_id': field_insured_id(doc, pairs, order),
        'patient_name': field_patient_name(doc, pairs, order),
        'birth_date': field_birth_date(doc, pairs, order),
        'insured_name': field_insured_name(doc, pairs, order),
        'patient_account_no': field_patient_account_no(doc, pairs, order),
        'diagnoses': field_diagnoses(doc, pairs, order),
        'service_lines': field_service_lines(doc, pairs, order),
        'total_charge': field_total_charge(doc, pairs, order),
        'billing_provider': field_billing_provider(doc, pairs, order),
        'billing_npi': field_billing_npi(doc, pairs, order),
        'rendering_npi': field_rendering_npi(doc, pairs, order),
        'federal_tax_id': field_federal_tax_id(doc, pairs, order),
    }
