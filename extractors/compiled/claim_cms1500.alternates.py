# docc compiled extractor: doc_type=claim_cms1500
# schema_sha256=e251f544ef737d1ce20d1091d76f48a19ed29c0920d36e2fa070fdd61a22865f
# samples_sha256=167b13ab350d1bbc037fae4cf191ae0a009c1456014ebc845424f5eae88c4f3c
# generators=synth
# Generated code: review it like any code; edits break the lock (recompile instead).
# Runner-up candidates: the run time compares their values with extract()'s.
from extractors import runtime


def alt1_payer_name(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=['insurance', 'medicare', 'payer'],
        keywords={'insu': 0.5, 'medi': 1.0, 'name': 0.2, 'paye': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'memb': 1.0, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
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


def alt2_payer_name(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=['insurance', 'medicare', 'payer'],
        keywords={'insu': 0.5, 'medi': 1.0, 'name': 0.2, 'paye': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'memb': 1.0, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
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
        labels=['feca other', 'member id', 'policy number'],
        keywords={'feca': 1.0, 'id': 0.5, 'insu': 0.25, 'memb': 1.0, 'numb': 1.0, 'othe': 1.0, 'poli': 0.5},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'medi': 1.0, 'name': 0.6, 'no': 1.0, 'npi': 0.5, 'pati': 0.833, 'paye': 1.0, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=3,
        label_relations={'member id': 'colon', 'policy number': 'right'},
        order=order,
        pairs=pairs,
    )


def alt2_insured_id(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['feca other', 'member id', 'policy number'],
        keywords={'feca': 1.0, 'id': 0.5, 'insu': 0.25, 'memb': 1.0, 'numb': 1.0, 'othe': 1.0, 'poli': 0.5},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'fede': 1.0, 'hold': 1.0, 'medi': 1.0, 'name': 0.6, 'no': 1.0, 'npi': 0.5, 'pati': 0.833, 'paye': 1.0, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=3,
        label_relations={'member id': 'colon', 'policy number': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['patient', 'patient name'],
        keywords={'name': 0.6, 'pati': 0.833},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'othe': 1.0, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=5,
        label_relations={'patient': 'colon', 'patient name': 'right'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt2_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['patient', 'patient name'],
        keywords={'name': 0.6, 'pati': 0.833},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'othe': 1.0, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=5,
        label_relations={'patient': 'colon', 'patient name': 'right'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt1_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'dob'],
        keywords={'birt': 1.0, 'date': 1.0, 'dob': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'char': 0.714, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=5,
        label_relations={'birth date': 'right', 'dob': 'colon'},
        order=runtime.date_order(doc, 'mdy'),
        pairs=pairs,
    )


def alt2_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'dob'],
        keywords={'birt': 1.0, 'date': 1.0, 'dob': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'char': 0.714, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=5,
        label_relations={'birth date': 'right', 'dob': 'colon'},
        order=runtime.date_order(doc, 'mdy'),
        pairs=pairs,
    )


def alt1_patient_account_no(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['acct', 'chart account'],
        keywords={'acco': 1.0, 'acct': 1.0, 'char': 0.286, 'no': 1.0},
        foes={'bill': 0.75, 'birt': 1.0, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'name': 0.6, 'npi': 0.5, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.4,
        max_words=3,
        context=('diagnoses',),
        label_relations={'chart account': 'right'},
        order=order,
        pairs=pairs,
    )


def alt2_patient_account_no(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['acct', 'chart account'],
        lex_labels=['account', 'account no', 'account number', 'beneficiary', 'chart', 'client', 'control', 'hosp no', 'hosp reg no', 'hospital number', 'medical record', 'member', 'mrn', 'name of patient', 'patient control no', 'patient id', 'pcn', 'pt', 'pt name', 'record no', 'record number', 'reg no', 'registration number', 'resident', 'unit number', 'urn'],
        keywords={'acco': 1.0, 'acct': 1.0, 'bene': 0.8, 'char': 0.286, 'clie': 0.8, 'cont': 0.8, 'mrn': 0.8, 'no': 1.0, 'pcn': 0.8, 'pt': 0.8, 'resi': 0.8, 'urn': 0.8},
        foes={'bill': 0.75, 'birt': 1.0, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'name': 0.6, 'npi': 0.5, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=3,
        context=('diagnoses',),
        label_relations={'chart account': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_service_lines(doc, pairs, order):
    columns = [
        runtime.Column('date_of_service', 'date', ('dos', 'service date'), (('date', 0.6), ('dos', 0.5), ('of', 1.0), ('serv', 0.6)), required=True),
        runtime.Column('cpt_code', 'code', ('code', 'cpe', 'cpt', 'cpt/hcpcs'), (('code', 1.0), ('cpe', 1.0), ('cpt', 1.0), ('cpt/', 1.0)), system='cpt', required=True, shape='(?<![\\w.])(\\d{5})(?![\\w])'),
        runtime.Column('modifier', 'string', ('mod', 'modifier'), (('mod', 1.0), ('modi', 1.0))),
        runtime.Column('dx_pointer', 'string', ('dx', 'dx ptr', 'pointer'), (('dx', 1.0), ('poin', 1.0), ('ptr', 1.0)), required=True),
        runtime.Column('units', 'integer', ('dos', 'from mm dd yy', 'or units', 'qty', 'service date', 'units'), (('dd', 1.0), ('dos', 0.5), ('from', 1.0), ('mm', 1.0), ('qty', 1.0), ('unit', 1.0), ('yy', 1.0)), required=True, shape='(?<![\\w.])(\\d+)(?![\\w])'),
        runtime.Column('charge', 'decimal', ('amount', 'charge', 'charges'), (('amou', 1.0), ('char', 1.0)), required=True),
    ]
    return runtime.table(doc, columns, order=order, min_columns=2)


def alt2_service_lines(doc, pairs, order):
    columns = [
        runtime.Column('date_of_service', 'date', ('dos', 'service date'), (('date', 0.6), ('dos', 0.5), ('of', 1.0), ('serv', 0.6)), required=True),
        runtime.Column('cpt_code', 'code', ('code', 'cpe', 'cpt', 'cpt/hcpcs'), (('code', 1.0), ('cpe', 1.0), ('cpt', 1.0), ('cpt/', 1.0)), system='cpt', required=True, shape='(?<![\\w.])(\\d{5})(?![\\w])'),
        runtime.Column('modifier', 'string', ('mod', 'modifier'), (('mod', 1.0), ('modi', 1.0))),
        runtime.Column('dx_pointer', 'string', ('dx', 'dx ptr', 'pointer'), (('dx', 1.0), ('poin', 1.0), ('ptr', 1.0)), required=True),
        runtime.Column('units', 'integer', ('dos', 'from mm dd yy', 'or units', 'qty', 'service date', 'units'), (('dd', 1.0), ('dos', 0.5), ('from', 1.0), ('mm', 1.0), ('qty', 1.0), ('unit', 1.0), ('yy', 1.0)), required=True, shape='(?<![\\w.])(\\d+)(?![\\w])'),
        runtime.Column('charge', 'decimal', ('amount', 'charge', 'charges'), (('amou', 1.0), ('char', 1.0)), required=True),
    ]
    return runtime.table(doc, columns, order=order, min_columns=1)


def alt1_total_charge(doc, pairs, order):
    return runtime.field(
        doc,
        kind='decimal',
        labels=['charges', 'total charges', 'total due'],
        keywords={'char': 0.714, 'due': 1.0, 'tota': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'date': 1.0, 'dob': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0},
        min_score=0.4,
        max_words=3,
        context=('charges', 'services rendered'),
        label_relations={'total charges': 'colon', 'total due': 'right'},
        order=order,
        pairs=pairs,
    )


def alt2_total_charge(doc, pairs, order):
    return runtime.field(
        doc,
        kind='decimal',
        labels=['charges', 'total charges', 'total due'],
        keywords={'char': 0.714, 'due': 1.0, 'tota': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'date': 1.0, 'dob': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0},
        min_score=0.9,
        max_words=3,
        context=('charges', 'services rendered'),
        label_relations={'total charges': 'colon', 'total due': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_billing_npi(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['billing npi', 'npi'],
        lex_labels=['national provider identifier'],
        keywords={'bill': 0.75, 'npi': 0.5},
        foes={'acco': 1.0, 'acct': 1.0, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        system='npi',
        min_score=0.6,
        max_words=3,
        trailing=('approved',),
        label_relations={'billing npi': 'colon'},
        order=order,
        pairs=pairs,
    )


def alt2_billing_npi(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='code',
        labels=['billing npi', 'npi'],
        keywords={'bill': 0.75, 'npi': 0.5},
        foes={'acco': 1.0, 'acct': 1.0, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        system='npi',
        min_score=0.6,
        max_words=3,
        trailing=('approved',),
        label_relations={'billing npi': 'colon'},
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.search(doc, '(?<![\\w.])(\\d{10})(?![\\w])', kind='code', order=order)
    return found


def alt1_rendering_npi(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['npi', 'rendering npi'],
        keywords={'npi': 0.5, 'rend': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        system='npi',
        min_score=0.6,
        max_words=3,
        context=('yes x no',),
        label_relations={'npi': 'right'},
        order=order,
        pairs=pairs,
    )


def alt2_rendering_npi(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['npi', 'rendering npi'],
        keywords={'npi': 0.5, 'rend': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'feca': 1.0, 'fede': 1.0, 'hold': 1.0, 'id': 0.5, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'subs': 1.0, 'tax': 1.0, 'tota': 1.0},
        system='npi',
        min_score=0.4,
        max_words=3,
        context=('yes x no',),
        label_relations={'npi': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_federal_tax_id(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='identifier',
        labels=['tax id'],
        keywords={'fede': 1.0, 'id': 0.5, 'tax': 1.0},
        foes={'acco': 1.0, 'acct': 1.0, 'bill': 0.75, 'birt': 1.0, 'char': 0.714, 'date': 1.0, 'dob': 1.0, 'due': 1.0, 'feca': 1.0, 'hold': 1.0, 'insu': 0.5, 'medi': 1.0, 'memb': 1.0, 'name': 0.6, 'no': 1.0, 'npi': 0.5, 'numb': 1.0, 'othe': 1.0, 'pati': 0.833, 'paye': 1.0, 'poli': 0.5, 'prov': 1.0, 'rend': 1.0, 'subs': 1.0, 'tota': 1.0},
        min_score=0.6,
        max_words=3,
        label_relations={'tax id': 'colon'},
        prefer='(?<![\\w.])(\\d{2}\\-\\d{7})(?![\\w])',
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.search(doc, '(?<![\\w.])(\\d{2}\\-\\d{7})(?![\\w])', kind='identifier', order=order)
    return found


def alt2_federal_tax_id(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='identifier',
        labels=['tax id'],
        min_score=2.0,
        max_words=3,
        label_relations={'tax id': 'colon'},
        prefer='(?<![\\w.])(\\d{2}\\-\\d{7})(?![\\w])',
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.search(doc, '(?<![\\w.])(\\d{2}\\-\\d{7})(?![\\w])', kind='identifier', order=order)
    return found


LABELS = ('account', 'account no', 'account number', 'acct', 'amount due', 'anderson primary care', 'attending', 'balance', 'beneficiary', 'billed', 'billed amount', 'billing npi', 'birth', 'birth date', 'birthdate', 'boone medical group', 'born', 'brooks medical group', 'cardholder', 'carrier', 'charge', 'charges', 'chart', 'chart account', 'claim detail report', 'claim total', 'client', 'clinician', 'consultant', 'control', 'cost', 'date of birth', 'dob', 'doctor', 'dr', 'ein', 'enrollee', 'feca other', 'federal tax id', 'fee', 'fees', 'health plan', 'hosp no', 'hosp reg no', 'hospital number', 'hudson primary care', 'id number', 'insurance', 'insurance plan', 'insured', 'insured id', 'insurer', 'md', 'medical record', 'medicare', 'member', 'member id', 'morgan health partners', 'mrn', 'name of patient', 'national provider identifier', 'npi', 'patient', 'patient control no', 'patient id', 'patient name', 'payer', 'payor', 'pcn', 'physician', 'plan name', 'policy holder', 'policy number', 'policyholder', 'practitioner', 'prescriber', 'price', 'provider', 'pt', 'pt name', 'record no', 'record number', 'reg no', 'registration number', 'rendering npi', 'resident', 'responsible', 'responsible clinician', 'stone internal medicine associates', 'subscriber', 'subscriber id', 'sum', 'tax', 'tax id', 'tin', 'total', 'total charge', 'total charges', 'total due', 'treating physician', 'unit number', 'urn')


def extract(doc):
    pairs = runtime.pair_index(doc, LABELS)
    order = runtime.date_order(doc, 'mdy')
    return {
        'payer_name': [alt1_payer_name(doc, pairs, order), alt2_payer_name(doc, pairs, order)],
        'insured_id': [alt1_insured_id(doc, pairs, order), alt2_insured_id(doc, pairs, order)],
        'patient_name': [alt1_patient_name(doc, pairs, order), alt2_patient_name(doc, pairs, order)],
        'birth_date': [alt1_birth_date(doc, pairs, order), alt2_birth_date(doc, pairs, order)],
        'patient_account_no': [alt1_patient_account_no(doc, pairs, order), alt2_patient_account_no(doc, pairs, order)],
        'service_lines': [alt1_service_lines(doc, pairs, order), alt2_service_lines(doc, pairs, order)],
        'total_charge': [alt1_total_charge(doc, pairs, order), alt2_total_charge(doc, pairs, order)],
        'billing_npi': [alt1_billing_npi(doc, pairs, order), alt2_billing_npi(doc, pairs, order)],
        'rendering_npi': [alt1_rendering_npi(doc, pairs, order), alt2_rendering_npi(doc, pairs, order)],
        'federal_tax_id': [alt1_federal_tax_id(doc, pairs, order), alt2_federal_tax_id(doc, pairs, order)],
    }
