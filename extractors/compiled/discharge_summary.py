# docc compiled extractor: doc_type=discharge_summary
# schema_sha256=e8cd76e083fd0b0f99dcc72f64196718aa2fd34519eb367e52666786300a5844
# samples_sha256=75f1773751310b044c39c3ee76e10db6fb07154bfc0fad11889d6f2496534b72
# generators=synth+vllm model=qwen2.5-coder-0.5b-instruct
# Generated code: review it like any code; edits break the lock (recompile instead).
from extractors import runtime


def field_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['discharge summary', 'patient', 'patient name'],
        lex_labels=['beneficiary', 'client', 'departure', 'discharge', 'member', 'name of patient', 'pt', 'pt name', 'resident', 'separation'],
        keywords={'bene': 0.8, 'clie': 0.8, 'depa': 0.8, 'memb': 0.8, 'name': 0.75, 'pati': 1.0, 'pt': 0.8, 'resi': 0.8, 'sepa': 0.8, 'summ': 1.0},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'no': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5},
        min_score=0.6,
        max_words=5,
        context=('discharge summary',),
        label_relations={'patient': 'colon'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def field_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'date of birth', 'dob'],
        lex_labels=['birth', 'birthdate', 'born'],
        keywords={'birt': 1.0, 'born': 0.8, 'date': 0.333, 'dob': 1.0},
        foes={'admi': 1.0, 'atte': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.6,
        max_words=5,
        label_orders={'birth date': 'dmy', 'dob': 'mdy'},
        label_relations={'birth date': 'below', 'date of birth': 'right', 'dob': 'colon'},
        order=order,
        pairs=pairs,
    )


def field_mrn(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='identifier',
        labels=['hosp no'],
        lex_labels=['chart', 'hosp reg no', 'hospital number', 'medical record', 'medical record number', 'mr number', 'mrn', 'patient id', 'patient identifier', 'patient number', 'record no', 'record number', 'reg no', 'registration number', 'unit number', 'urn'],
        keywords={'char': 0.8, 'hosp': 1.0, 'mrn': 1.0, 'no': 1.0, 'urn': 0.8},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.75, 'disc': 0.5, 'disp': 1.0, 'faci': 1.0, 'name': 0.75, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5},
        min_score=0.6,
        max_words=3,
        trailing=('consultant',),
        label_relations={'hosp no': 'colon'},
        prefer='(?<![\\w.])((?:k|lu)\\d{7})(?![\\w])',
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.search(doc, '(?<![\\w.])((?:k|lu)\\d{7})(?![\\w])', kind='identifier', order=order)
    return found


def field_admission_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['admit date', 'admitted', 'date of admission'],
        lex_labels=['admission', 'admission date', 'admit', 'arrival', 'date admitted', 'date in'],
        keywords={'admi': 1.0, 'arri': 0.8, 'date': 0.333},
        foes={'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.6,
        max_words=5,
        label_orders={'admit date': 'mdy', 'admitted': 'dmy'},
        label_relations={'admit date': 'colon', 'admitted': 'below', 'date of admission': 'right'},
        order=order,
        pairs=pairs,
    )


def field_discharge_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['date of discharge', 'discharge date', 'discharged'],
        lex_labels=['date discharged', 'date out', 'departure', 'discharge', 'separation'],
        keywords={'date': 0.333, 'depa': 0.8, 'disc': 0.5, 'sepa': 0.8},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.6,
        max_words=5,
        context=('follow-up', 'medicines on discharge', 'patient instructions'),
        label_orders={'discharge date': 'mdy', 'discharged': 'dmy'},
        label_relations={'date of discharge': 'right', 'discharge date': 'colon', 'discharged': 'below'},
        order=order,
        pairs=pairs,
    )


def field_attending_physician(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['attending', 'attending physician', 'consultant'],
        lex_labels=['clinician', 'doctor', 'dr', 'md', 'physician', 'practitioner', 'prescriber', 'provider', 'responsible', 'responsible clinician', 'treating physician'],
        keywords={'atte': 1.0, 'clin': 0.8, 'cons': 1.0, 'doct': 0.8, 'dr': 0.8, 'md': 0.8, 'phys': 1.0, 'prac': 0.8, 'pres': 0.8, 'prov': 0.8, 'resp': 0.8},
        foes={'admi': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.6,
        max_words=5,
        context=('follow-up', 'medicines on discharge'),
        name_order='first_last',
        label_relations={'attending': 'colon', 'attending physician': 'right', 'consultant': 'below'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def field_facility_name(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=[],
        keywords={'faci': 1.0, 'name': 0.25},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.9,
        max_words=12,
        trailing=('continued', 'inpatient discharge letter'),
        no_digits=True,
        capitalised=True,
        max_len=10,
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.heading(doc, largest=False, rank=0)
    return found


def field_primary_diagnosis(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['condition', 'diagnosis', 'principal diagnosis'],
        lex_labels=['comorbidity', 'dx', 'impression', 'primary diagnosis', 'problem', 'reason for admission'],
        keywords={'como': 0.8, 'cond': 1.0, 'diag': 0.625, 'dx': 0.8, 'impr': 0.8, 'prim': 0.5, 'prin': 0.5, 'prob': 0.8},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cons': 1.0, 'dest': 1.0, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'summ': 1.0},
        min_score=0.6,
        max_words=12,
        context=('main condition treated', 'primary diagnosis'),
        label_relations={'condition': 'below', 'diagnosis': 'right', 'principal diagnosis': 'below'},
        capitalised=True,
        suffix='(?<![\\w.])(\\([A-Z]+\\d+\\.\\d+\\))(?![\\w])',
        order=order,
        pairs=pairs,
    )


def field_primary_diagnosis_code(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='code',
        labels=['principal diagnosis'],
        lex_labels=['code', 'comorbidity', 'cpt', 'dx', 'hcpcs', 'icd', 'icd-10', 'icd-10-cm', 'impression', 'loinc', 'primary diagnosis', 'problem', 'reason for admission'],
        keywords={'code': 1.0, 'como': 0.8, 'cpt': 0.8, 'diag': 0.375, 'dx': 0.8, 'hcpc': 0.8, 'icd': 0.8, 'icd-': 0.8, 'impr': 0.8, 'loin': 0.8, 'prim': 0.5, 'prin': 0.5, 'prob': 0.8},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'summ': 1.0},
        system='icd10cm',
        min_score=0.6,
        max_words=3,
        label_relations={'principal diagnosis': 'below'},
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.search(doc, '(?<![\\w.])([A-Z]{1}\\d{2}\\.\\d+)(?![\\w])', kind='code', order=order)
    return found


def field_discharge_disposition(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['discharge destination', 'discharged to', 'disposition'],
        lex_labels=['departure', 'destination', 'discharge', 'discharge disposition', 'discharge status', 'separation'],
        keywords={'depa': 0.8, 'dest': 1.0, 'disc': 0.357, 'disp': 1.0, 'sepa': 0.8},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'diag': 0.625, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.6,
        max_words=12,
        label_relations={'discharge destination': 'below', 'discharged to': 'right', 'disposition': 'colon'},
        no_digits=True,
        capitalised=True,
        max_len=12,
        order=order,
        pairs=pairs,
    )


def field_diagnoses(doc, pairs, order):
    columns = [
        runtime.Column('description', 'string', ('comorbidity', 'condition', 'description', 'diagnosis', 'dx', 'impression', 'primary diagnosis', 'principal diagnosis', 'problem', 'reason for admission'), (('como', 1.0), ('cond', 1.0), ('desc', 1.0), ('diag', 1.0), ('dx', 1.0), ('impr', 1.0), ('prob', 1.0)), required=True),
        runtime.Column('icd10_code', 'code', ('code', 'cpt', 'hcpcs', 'icd', 'icd-10', 'icd-10-cm', 'loinc'), (('code', 1.0), ('cpt', 1.0), ('hcpc', 1.0), ('icd', 1.0), ('icd-', 1.0), ('icd1', 1.0), ('loin', 1.0)), system='icd10cm', required=True, shape='(?<![\\w.])([A-Z]{1}\\d{2}\\.\\d+)(?![\\w])'),
    ]
    return runtime.table(doc, columns, order=order, min_columns=2, sections=('code description', 'diagnoses', 'discharge summary', 'other diagnoses', 'secondary diagnoses'))


def field_discharge_medications(doc, pairs, order):
    columns = [
        runtime.Column('drug', 'string', ('drug', 'drug name', 'medication', 'medication ordered', 'medicine', 'product', 'rx'), (('drug', 1.0), ('medi', 1.0), ('prod', 1.0), ('rx', 1.0)), required=True),
        runtime.Column('dose', 'string', ('date of service', 'dos', 'dosage', 'dosage strength', 'dose', 'potency', 'service', 'service date', 'strength'), (('dos', 1.0), ('dosa', 1.0), ('dose', 1.0), ('pote', 1.0), ('serv', 1.0), ('stre', 1.0)), required=True),
        runtime.Column('frequency', 'string', ('directions', 'directions for use', 'freq', 'frequency', 'how', 'how often', 'instructions', 'instructions for use', 'schedule', 'sig', 'usage'), (('dire', 1.0), ('freq', 1.0), ('how', 1.0), ('inst', 1.0), ('ofte', 1.0), ('sche', 1.0), ('sig', 1.0), ('usag', 1.0)), required=True),
    ]
    return runtime.table(doc, columns, order=order, min_columns=2)


LABELS = ('admission', 'admission date', 'admit', 'admit date', 'admitted', 'arrival', 'attending', 'attending physician', 'beneficiary', 'birth', 'birth date', 'birthdate', 'born', 'center', 'centre', 'chart', 'client', 'clinic', 'clinician', 'code', 'comorbidity', 'condition', 'consultant', 'cpt', 'date admitted', 'date discharged', 'date in', 'date of admission', 'date of birth', 'date of discharge', 'date out', 'departure', 'destination', 'diagnosis', 'discharge', 'discharge date', 'discharge destination', 'discharge disposition', 'discharge status', 'discharge summary', 'discharged', 'discharged to', 'disposition', 'dob', 'doctor', 'dr', 'dx', 'facility', 'hcpcs', 'hosp no', 'hosp reg no', 'hospital', 'hospital number', 'icd', 'icd-10', 'icd-10-cm', 'impression', 'lab', 'laboratory', 'loinc', 'md', 'medical record', 'medical record number', 'member', 'mr number', 'mrn', 'name of patient', 'patient', 'patient id', 'patient identifier', 'patient name', 'patient number', 'performing lab', 'physician', 'practitioner', 'prescriber', 'primary diagnosis', 'principal diagnosis', 'problem', 'provider', 'pt', 'pt name', 'reason for admission', 'record no', 'record number', 'reg no', 'registration number', 'resident', 'responsible', 'responsible clinician', 'separation', 'treating physician', 'unit number', 'urn')


def extract(doc):
    pairs = runtime.pair_index(doc, LABELS)
    order = runtime.date_order(doc, 'mdy')
    found = {
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
    # a table row that repeats another field's value belongs to that field
    return runtime.drop_repeated_rows(found, {'diagnoses': {'description': ('primary_diagnosis',), 'icd10_code': ('primary_diagnosis_code',)}})
