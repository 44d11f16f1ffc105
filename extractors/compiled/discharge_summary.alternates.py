# docc compiled extractor: doc_type=discharge_summary
# schema_sha256=e8cd76e083fd0b0f99dcc72f64196718aa2fd34519eb367e52666786300a5844
# samples_sha256=75f1773751310b044c39c3ee76e10db6fb07154bfc0fad11889d6f2496534b72
# generators=synth+vllm model=qwen2.5-coder-0.5b-instruct
# Generated code: review it like any code; edits break the lock (recompile instead).
# Runner-up candidates: the run time compares their values with extract()'s.
from extractors import runtime


def alt1_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['discharge summary', 'patient', 'patient name'],
        min_score=2.0,
        max_words=5,
        context=('discharge summary',),
        label_relations={'patient': 'colon'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt2_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['discharge summary', 'patient', 'patient name'],
        keywords={'name': 0.75, 'pati': 1.0, 'summ': 1.0},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'no': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5},
        min_score=0.6,
        max_words=5,
        context=('discharge summary',),
        label_relations={'patient': 'colon'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt1_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'date of birth', 'dob'],
        keywords={'birt': 1.0, 'date': 0.333, 'dob': 1.0},
        foes={'admi': 1.0, 'atte': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.6,
        max_words=5,
        label_orders={'birth date': 'dmy', 'dob': 'mdy'},
        label_relations={'birth date': 'below', 'date of birth': 'right', 'dob': 'colon'},
        order=order,
        pairs=pairs,
    )


def alt2_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'date of birth', 'dob'],
        keywords={'birt': 1.0, 'date': 0.333, 'dob': 1.0},
        foes={'admi': 1.0, 'atte': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.4,
        max_words=5,
        label_orders={'birth date': 'dmy', 'dob': 'mdy'},
        label_relations={'birth date': 'below', 'date of birth': 'right', 'dob': 'colon'},
        order=order,
        pairs=pairs,
    )


def alt1_mrn(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['hosp no', 'mrn'],
        lex_labels=['chart', 'hosp reg no', 'hospital number', 'medical record', 'medical record number', 'mr number', 'patient id', 'patient identifier', 'patient number', 'record no', 'record number', 'reg no', 'registration number', 'unit number', 'urn'],
        keywords={'char': 0.8, 'hosp': 1.0, 'mrn': 1.0, 'no': 1.0, 'urn': 0.8},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'name': 0.75, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.6,
        max_words=3,
        trailing=('consultant',),
        label_relations={'hosp no': 'colon', 'mrn': 'colon'},
        order=order,
        pairs=pairs,
    )


def alt2_mrn(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['hosp no', 'mno', 'mrn'],
        keywords={'hosp': 1.0, 'mno': 0.5, 'mrn': 1.0, 'no': 1.0},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'name': 0.75, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.4,
        max_words=3,
        trailing=('consultant',),
        label_relations={'hosp no': 'colon', 'mrn': 'colon'},
        order=order,
        pairs=pairs,
    )


def alt1_admission_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['admit date', 'admitted', 'date of admission'],
        keywords={'admi': 1.0, 'date': 0.333},
        foes={'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.6,
        max_words=5,
        label_orders={'admit date': 'mdy', 'admitted': 'dmy'},
        label_relations={'admit date': 'colon', 'admitted': 'below', 'date of admission': 'right'},
        order=order,
        pairs=pairs,
    )


def alt2_admission_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['admit date', 'admitted', 'date of admission'],
        keywords={'admi': 1.0, 'date': 0.333},
        foes={'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.4,
        max_words=5,
        label_orders={'admit date': 'mdy', 'admitted': 'dmy'},
        label_relations={'admit date': 'colon', 'admitted': 'below', 'date of admission': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_discharge_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['date of discharge', 'discharge date', 'discharged'],
        keywords={'date': 0.333, 'disc': 0.5},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.6,
        max_words=5,
        context=('follow-up', 'medicines on discharge', 'patient instructions'),
        label_orders={'discharge date': 'mdy', 'discharged': 'dmy'},
        label_relations={'date of discharge': 'right', 'discharge date': 'colon', 'discharged': 'below'},
        order=order,
        pairs=pairs,
    )


def alt2_discharge_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['date of discharge', 'discharge date', 'discharged'],
        min_score=2.0,
        max_words=5,
        context=('follow-up', 'medicines on discharge', 'patient instructions'),
        label_orders={'discharge date': 'mdy', 'discharged': 'dmy'},
        label_relations={'date of discharge': 'right', 'discharge date': 'colon', 'discharged': 'below'},
        order=order,
        pairs=pairs,
    )


def alt1_attending_physician(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['attending', 'attending physician', 'consultant'],
        keywords={'atte': 1.0, 'cons': 1.0, 'phys': 1.0},
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


def alt2_attending_physician(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['attending', 'attending physician', 'consultant'],
        keywords={'atte': 1.0, 'cons': 1.0, 'phys': 1.0},
        foes={'admi': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.4,
        max_words=5,
        context=('follow-up', 'medicines on discharge'),
        name_order='first_last',
        label_relations={'attending': 'colon', 'attending physician': 'right', 'consultant': 'below'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt1_facility_name(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=[],
        keywords={'faci': 1.0, 'name': 0.25},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'dest': 1.0, 'diag': 0.625, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.6,
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


def alt1_primary_diagnosis(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['condition', 'diagnosis', 'principal diagnosis'],
        keywords={'cond': 1.0, 'diag': 0.625, 'prim': 0.5, 'prin': 0.5},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cons': 1.0, 'dest': 1.0, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'summ': 1.0},
        min_score=0.4,
        max_words=12,
        context=('main condition treated', 'primary diagnosis'),
        label_relations={'condition': 'below', 'diagnosis': 'right', 'principal diagnosis': 'below'},
        capitalised=True,
        suffix='(?<![\\w.])(\\([A-Z]+\\d+\\.\\d+\\))(?![\\w])',
        order=order,
        pairs=pairs,
    )


def alt2_primary_diagnosis(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['condition', 'diagnosis', 'primary diagnosis', 'principal diagnosis'],
        keywords={'cond': 1.0, 'diag': 0.625, 'prim': 0.5, 'prin': 0.5},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cons': 1.0, 'dest': 1.0, 'disc': 0.5, 'disp': 1.0, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'summ': 1.0},
        min_score=0.4,
        max_words=12,
        context=('main condition treated', 'primary diagnosis'),
        label_relations={'condition': 'below', 'diagnosis': 'right', 'principal diagnosis': 'below'},
        capitalised=True,
        suffix='(?<![\\w.])(\\([A-Z]+\\d+\\.\\d+\\))(?![\\w])',
        order=order,
        pairs=pairs,
    )


def alt1_primary_diagnosis_code(doc, pairs, order):
    return runtime.field(
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


def alt1_discharge_disposition(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['discharge destination', 'discharged to', 'disposition'],
        keywords={'dest': 1.0, 'disc': 0.357, 'disp': 1.0},
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


def alt2_discharge_disposition(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['discharge destination', 'discharged to', 'disposition'],
        keywords={'dest': 1.0, 'disc': 0.357, 'disp': 1.0},
        foes={'admi': 1.0, 'atte': 1.0, 'birt': 1.0, 'code': 1.0, 'cond': 1.0, 'cons': 1.0, 'diag': 0.625, 'dob': 1.0, 'faci': 1.0, 'hosp': 1.0, 'mrn': 1.0, 'name': 0.75, 'no': 1.0, 'pati': 1.0, 'phys': 1.0, 'prim': 0.5, 'prin': 0.5, 'summ': 1.0},
        min_score=0.4,
        max_words=12,
        label_relations={'discharge destination': 'below', 'discharged to': 'right', 'disposition': 'colon'},
        no_digits=True,
        capitalised=True,
        max_len=12,
        order=order,
        pairs=pairs,
    )


def alt1_diagnoses(doc, pairs, order):
    columns = [
        runtime.Column('description', 'string', ('condition', 'description', 'diagnosis'), (('cond', 1.0), ('desc', 1.0), ('diag', 1.0)), required=True),
        runtime.Column('icd10_code', 'code', ('code', 'icd-10', 'icd-10-cm'), (('code', 1.0), ('icd-', 1.0), ('icd1', 1.0)), system='icd10cm', required=True, shape='(?<![\\w.])([A-Z]{1}\\d{2}\\.\\d+)(?![\\w])'),
    ]
    return runtime.table(doc, columns, order=order, min_columns=1, sections=('code description', 'diagnoses', 'discharge summary', 'other diagnoses', 'secondary diagnoses'))


def alt2_diagnoses(doc, pairs, order):
    found = runtime.grid_rows(
        doc,
        columns={'description': {'headers': ('condition', 'description'), 'learned': 1, 'part': 'all'}, 'icd10_code': {'headers': ('code', 'cpt', 'hcpcs', 'icd', 'icd-10', 'icd-10-cm', 'icd10 code', 'loinc'), 'learned': 0, 'part': 'all'}},
        anchor='description',
        required=(),
        headings=('code description', 'diagnoses', 'discharge summary', 'other diagnoses', 'secondary diagnoses'),
    )
    if found is not None:
        return found
    return runtime.section_rows(
        doc,
        headings=('code description', 'diagnoses', 'discharge summary', 'other diagnoses', 'secondary diagnoses'),
        roles={'description': 'name'},
    )


def alt1_discharge_medications(doc, pairs, order):
    found = runtime.grid_rows(
        doc,
        columns={'dose': {'headers': ('dose', 'date of service', 'dos', 'dosage', 'dosage strength', 'potency', 'service', 'service date', 'strength'), 'learned': 1, 'part': 'all'}, 'drug': {'headers': ('medication', 'drug', 'drug name', 'medication ordered', 'medicine', 'product', 'rx'), 'learned': 1, 'part': 'all'}, 'frequency': {'headers': ('frequency', 'freq', 'how', 'how often', 'schedule', 'sig'), 'learned': 1, 'part': 'all'}},
        anchor='drug',
        required=(),
        headings=('condition on discharge', 'discharge medications', 'medication dose frequency', 'medications at discharge', 'medicines on discharge'),
    )
    if found is not None:
        return found
    return runtime.section_rows(
        doc,
        headings=('condition on discharge', 'discharge medications', 'medication dose frequency', 'medications at discharge', 'medicines on discharge'),
        roles={'drug': 'name'},
    )


def alt2_discharge_medications(doc, pairs, order):
    columns = [
        runtime.Column('drug', 'string', ('drug', 'medication', 'medicine'), (('drug', 1.0), ('medi', 1.0)), required=True),
        runtime.Column('dose', 'string', ('dose', 'strength'), (('dose', 1.0), ('stre', 1.0)), required=True),
        runtime.Column('frequency', 'string', ('directions', 'frequency', 'how often'), (('dire', 1.0), ('freq', 1.0), ('how', 1.0), ('ofte', 1.0)), required=True),
    ]
    return runtime.table(doc, columns, order=order, min_columns=2)


LABELS = ('admission', 'admission date', 'admit', 'admit date', 'admitted', 'arrival', 'attending', 'attending physician', 'beneficiary', 'birth', 'birth date', 'birthdate', 'born', 'center', 'centre', 'chart', 'client', 'clinic', 'clinician', 'code', 'comorbidity', 'condition', 'consultant', 'cpt', 'date admitted', 'date discharged', 'date in', 'date of admission', 'date of birth', 'date of discharge', 'date out', 'departure', 'destination', 'diagnosis', 'discharge', 'discharge date', 'discharge destination', 'discharge disposition', 'discharge status', 'discharge summary', 'discharged', 'discharged to', 'disposition', 'dob', 'doctor', 'dr', 'dx', 'facility', 'hcpcs', 'hosp no', 'hosp reg no', 'hospital', 'hospital number', 'icd', 'icd-10', 'icd-10-cm', 'impression', 'lab', 'laboratory', 'loinc', 'md', 'medical record', 'medical record number', 'member', 'mr number', 'mrn', 'name of patient', 'patient', 'patient id', 'patient identifier', 'patient name', 'patient number', 'performing lab', 'physician', 'practitioner', 'prescriber', 'primary diagnosis', 'principal diagnosis', 'problem', 'provider', 'pt', 'pt name', 'reason for admission', 'record no', 'record number', 'reg no', 'registration number', 'resident', 'responsible', 'responsible clinician', 'separation', 'treating physician', 'unit number', 'urn')


def extract(doc):
    pairs = runtime.pair_index(doc, LABELS)
    order = runtime.date_order(doc, 'mdy')
    return {
        'patient_name': [alt1_patient_name(doc, pairs, order), alt2_patient_name(doc, pairs, order)],
        'birth_date': [alt1_birth_date(doc, pairs, order), alt2_birth_date(doc, pairs, order)],
        'mrn': [alt1_mrn(doc, pairs, order), alt2_mrn(doc, pairs, order)],
        'admission_date': [alt1_admission_date(doc, pairs, order), alt2_admission_date(doc, pairs, order)],
        'discharge_date': [alt1_discharge_date(doc, pairs, order), alt2_discharge_date(doc, pairs, order)],
        'attending_physician': [alt1_attending_physician(doc, pairs, order), alt2_attending_physician(doc, pairs, order)],
        'facility_name': [alt1_facility_name(doc, pairs, order)],
        'primary_diagnosis': [alt1_primary_diagnosis(doc, pairs, order), alt2_primary_diagnosis(doc, pairs, order)],
        'primary_diagnosis_code': [alt1_primary_diagnosis_code(doc, pairs, order)],
        'discharge_disposition': [alt1_discharge_disposition(doc, pairs, order), alt2_discharge_disposition(doc, pairs, order)],
        'diagnoses': [alt1_diagnoses(doc, pairs, order), alt2_diagnoses(doc, pairs, order)],
        'discharge_medications': [alt1_discharge_medications(doc, pairs, order), alt2_discharge_medications(doc, pairs, order)],
    }
