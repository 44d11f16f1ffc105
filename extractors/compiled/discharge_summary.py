# docc compiled extractor: doc_type=discharge_summary
# schema_sha256=e8cd76e083fd0b0f99dcc72f64196718aa2fd34519eb367e52666786300a5844
# samples_sha256=75f1773751310b044c39c3ee76e10db6fb07154bfc0fad11889d6f2496534b72
# generators=synth
# Generated code: review it like any code; edits break the lock (recompile instead).
from extractors import runtime


def field_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['patient', 'patient name'],
        keywords={'name': 0.75, 'pati': 1.0},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.583, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'no': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'to': 1.0},
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
        keywords={'birt': 1.0, 'date': 0.333, 'dob': 1.0, 'of': 0.333},
        foes={'admi': 1.0, 'atte': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.583, 'disp': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'to': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_mrn(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['hosp no', 'mrn'],
        keywords={'hosp': 1.0, 'mrn': 1.0, 'no': 1.0},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.583, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'name': 0.75, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'to': 1.0},
        min_score=0.4,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_admission_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['admit date', 'admitted', 'date of admission'],
        keywords={'admi': 1.0, 'date': 0.333, 'of': 0.333},
        foes={'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.583, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'to': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_discharge_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['date of discharge', 'discharge date', 'discharged'],
        keywords={'date': 0.333, 'disc': 0.583, 'of': 0.333},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'to': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_attending_physician(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['attending', 'attending physician', 'consultant'],
        keywords={'atte': 1.0, 'cons': 1.0, 'phys': 1.0},
        foes={'admi': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.583, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'prim': 0.5, 'prin': 0.5, 'to': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_facility_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=[],
        min_score=2.0,
        max_words=12,
        order=order,
        pairs=pairs,
    )


def field_primary_diagnosis(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['condition', 'diagnosis', 'principal diagnosis'],
        min_score=2.0,
        max_words=12,
        order=order,
        pairs=pairs,
    )


def field_primary_diagnosis_code(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['principal diagnosis'],
        system='icd10cm',
        min_score=2.0,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_discharge_disposition(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['discharge destination', 'discharged to', 'disposition'],
        keywords={'dest': 1.0, 'disc': 0.417, 'disp': 1.0, 'to': 1.0},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'diag': 0.625, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5},
        min_score=0.6,
        max_words=12,
        order=order,
        pairs=pairs,
    )


def field_diagnoses(doc, pairs, order):
    columns = [
        runtime.Column('description', 'string', ('condition', 'description'), (('cond', 1.0), ('desc', 1.0))),
        runtime.Column('icd10_code', 'code', ('code', 'icd-10'), (('code', 1.0), ('icd-', 1.0), ('icd1', 1.0)), 'icd10cm'),
    ]
    return runtime.table(doc, columns, order=order, min_columns=2)


def field_discharge_medications(doc, pairs, order):
    columns = [
        runtime.Column('drug', 'string', ('drug', 'medication', 'medicine'), (('drug', 1.0), ('medi', 1.0))),
        runtime.Column('dose', 'string', ('dose', 'strength'), (('dose', 1.0), ('stre', 1.0))),
        runtime.Column('frequency', 'string', ('directions', 'frequency', 'how often'), (('dire', 1.0), ('freq', 1.0), ('how', 1.0), ('ofte', 1.0))),
    ]
    return runtime.table(doc, columns, order=order, min_columns=2)


LABELS = ('admit date', 'admitted', 'attending', 'attending physician', 'birth date', 'condition', 'consultant', 'date of admission', 'date of birth', 'date of discharge', 'diagnosis', 'discharge date', 'discharge destination', 'discharged', 'discharged to', 'disposition', 'dob', 'hosp no', 'mrn', 'patient', 'patient name', 'principal diagnosis')


def extract(doc):
    pairs = list(runtime.iter_pairs(doc, LABELS))
    order = runtime.date_order(doc, 'mdy')
    return {
        'patient_name': field_patient_name(doc, pairs, order),
        'birth_date': field_birth_date(doc, pairs, order),
        'mrn': field_mrn(doc, pairs, order),
        'admission_date': field_admission_date(doc, pairs, order),
        'discharge_date': field_discharge_date(doc, pairs, order),
        'attending_physician': field_attending_physician(doc, pairs, order),
        'facility_name': field_facility_name(doc, pairs, order),
        'primary_diagnosis': field_primary_diagnosis(doc, pairs, order),
        'primary_diagnosis_code': field_primary_diagnosis_code(doc, pairs, order),
        'discharge_disposition': field_discharge_disposition(doc, pairs, order),
        'diagnoses': field_diagnoses(doc, pairs, order),
        'discharge_medications': field_discharge_medications(doc, pairs, order),
    }
