# docc compiled extractor: doc_type=prescription
# schema_sha256=3eb714ba27eaa7d0f005fae914255fbbfc83c325c6b767e89fa8bafc50c3f301
# samples_sha256=27ee92902839790d448be25ae785754f4d53299baf28ee90a19b4a478be2d5fd
# generators=synth+vllm model=qwen2.5-coder-0.5b-instruct
# Generated code: review it like any code; edits break the lock (recompile instead).
# Runner-up candidates: the run time compares their values with extract()'s.
from extractors import runtime


def alt1_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['name', 'patient name'],
        min_score=2.0,
        max_words=5,
        context=('patient',),
        label_relations={'patient name': 'below'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt2_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['name', 'patient name'],
        keywords={'name': 0.5, 'pati': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'drug': 0.75, 'issu': 1.0, 'npi': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.6,
        max_words=5,
        context=('patient',),
        label_relations={'patient name': 'below'},
        no_digits=True,
        order=order,
        pairs=pairs,
    )


def alt1_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'date of birth', 'dob'],
        keywords={'birt': 1.0, 'date': 0.5, 'dob': 1.0},
        foes={'cui': 1.0, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.6,
        max_words=5,
        context=('harbourview medical centre', 'patient'),
        label_orders={'birth date': 'dmy', 'date of birth': 'mdy', 'dob': 'mdy'},
        label_relations={'birth date': 'below', 'date of birth': 'right', 'dob': 'inline'},
        order=order,
        pairs=pairs,
    )


def alt1_drug_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['drug', 'rx'],
        keywords={'drug': 0.75, 'rx': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.6,
        max_words=12,
        label_relations={'rx': 'below'},
        no_digits=True,
        capitalised=True,
        max_len=6,
        suffix='(?<![\\w.])(\\d+\\s*(?:mg)\\s*(?:tablet))(?![\\w])',
        order=order,
        pairs=pairs,
    )


def alt2_drug_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['drug', 'rx'],
        keywords={'drug': 0.75, 'rx': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.4,
        max_words=12,
        label_relations={'rx': 'below'},
        no_digits=True,
        capitalised=True,
        max_len=6,
        suffix='(?<![\\w.])(\\d+\\s*(?:mg)\\s*(?:tablet))(?![\\w])',
        order=order,
        pairs=pairs,
    )


def alt1_strength(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=['strength'],
        keywords={'stre': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.6,
        max_words=12,
        max_len=6,
        prefer='(?<![\\w.])(\\d+\\s*(?:mg))(?![\\w])',
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.search(doc, '(?<![\\w.])(\\d+\\s*(?:mg))(?![\\w])', kind='string', order=order)
    return found


def alt2_strength(doc, pairs, order):
    found = runtime.field(
        doc,
        kind='string',
        labels=['strength'],
        min_score=2.0,
        max_words=12,
        max_len=6,
        prefer='(?<![\\w.])(\\d+\\s*(?:mg))(?![\\w])',
        order=order,
        pairs=pairs,
    )
    if found is None:
        found = runtime.search(doc, '(?<![\\w.])(\\d+\\s*(?:mg))(?![\\w])', kind='string', order=order)
    return found


def alt1_drug_rxnorm(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['rxnorm cui'],
        lex_labels=['drug name', 'medication', 'medication ordered', 'medicine', 'product'],
        keywords={'cui': 1.0, 'drug': 0.25, 'medi': 0.8, 'prod': 0.8, 'rxno': 1.0},
        foes={'birt': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        system='rxnorm',
        min_score=0.6,
        max_words=3,
        label_relations={'rxnorm cui': 'right'},
        order=order,
        pairs=pairs,
    )


def alt2_drug_rxnorm(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['rxnorm cui'],
        keywords={'cui': 1.0, 'drug': 0.25, 'rxno': 1.0},
        foes={'birt': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        system='rxnorm',
        min_score=0.6,
        max_words=3,
        label_relations={'rxnorm cui': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_sig(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['directions', 'directions for use', 'sig'],
        keywords={'dire': 1.0, 'sig': 1.0, 'use': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'disp': 1.0, 'dob': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'stre': 1.0, 'writ': 1.0},
        min_score=0.9,
        max_words=12,
        context=('directions for use',),
        label_relations={'directions': 'right', 'directions for use': 'below', 'sig': 'colon'},
        capitalised=True,
        order=order,
        pairs=pairs,
    )


def alt2_sig(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['directions', 'directions for use', 'sig'],
        keywords={'dire': 1.0, 'sig': 1.0, 'use': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'disp': 1.0, 'dob': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'stre': 1.0, 'writ': 1.0},
        min_score=0.6,
        max_words=12,
        context=('directions for use',),
        label_relations={'directions': 'right', 'directions for use': 'below', 'sig': 'colon'},
        capitalised=True,
        order=order,
        pairs=pairs,
    )


def alt1_quantity(doc, pairs, order):
    return runtime.field(
        doc,
        kind='integer',
        labels=['disp', 'qty', 'quantity'],
        keywords={'disp': 1.0, 'qty': 1.0, 'quan': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'dob': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.6,
        max_words=3,
        context=('qty',),
        label_relations={'disp': 'colon', 'qty': 'below', 'quantity': 'right'},
        order=order,
        pairs=pairs,
    )


def alt2_quantity(doc, pairs, order):
    return runtime.field(
        doc,
        kind='integer',
        labels=['disp', 'qty', 'quantity'],
        keywords={'disp': 1.0, 'qty': 1.0, 'quan': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'dob': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.4,
        max_words=3,
        context=('qty',),
        label_relations={'disp': 'colon', 'qty': 'below', 'quantity': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_refills(doc, pairs, order):
    return runtime.field(
        doc,
        kind='integer',
        labels=['refills', 'repeats'],
        keywords={'refi': 1.0, 'repe': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.6,
        max_words=3,
        label_relations={'repeats': 'below'},
        order=order,
        pairs=pairs,
    )


def alt2_refills(doc, pairs, order):
    return runtime.field(
        doc,
        kind='integer',
        labels=['refills', 'repeats'],
        keywords={'refi': 1.0, 'repe': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.4,
        max_words=3,
        label_relations={'repeats': 'below'},
        order=order,
        pairs=pairs,
    )


def alt1_prescriber_npi(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['npi', 'prescriber npi'],
        system='npi',
        min_score=2.0,
        max_words=3,
        label_relations={'prescriber npi': 'below'},
        order=order,
        pairs=pairs,
    )


def alt1_prescriber_dea(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['dea'],
        lex_labels=['attending', 'clinician', 'consultant', 'doctor', 'dr', 'md', 'physician', 'practitioner', 'provider', 'responsible', 'responsible clinician', 'treating physician'],
        keywords={'atte': 0.8, 'clin': 0.8, 'cons': 0.8, 'dea': 1.0, 'doct': 0.8, 'dr': 0.8, 'md': 0.8, 'phys': 0.8, 'prac': 0.8, 'pres': 0.8, 'prov': 0.8, 'resp': 0.8},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.6,
        max_words=3,
        context=('signature of prescriber',),
        order=order,
        pairs=pairs,
    )


def alt1_date_written(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['date', 'date issued', 'written'],
        keywords={'date': 0.5, 'issu': 1.0, 'writ': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'drug': 0.75, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0},
        min_score=0.4,
        max_words=5,
        context=('electronic prescription record',),
        label_orders={'date': 'mdy', 'date issued': 'dmy', 'written': 'mdy'},
        label_relations={'date': 'inline', 'date issued': 'below', 'written': 'right'},
        order=order,
        pairs=pairs,
    )


def alt2_date_written(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['date', 'date issued', 'written'],
        keywords={'date': 0.5, 'issu': 1.0, 'writ': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'drug': 0.75, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0},
        min_score=0.6,
        max_words=5,
        context=('electronic prescription record',),
        label_orders={'date': 'mdy', 'date issued': 'dmy', 'written': 'mdy'},
        label_relations={'date': 'inline', 'date issued': 'below', 'written': 'right'},
        order=order,
        pairs=pairs,
    )


def alt1_pharmacy_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['pharmacy', 'send to'],
        lex_labels=['chemist', 'dispenser', 'dispensing pharmacy'],
        keywords={'chem': 0.8, 'phar': 1.0, 'send': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.6,
        max_words=12,
        context=('pharmacy', 'prescriber signature'),
        label_relations={'send to': 'colon'},
        capitalised=True,
        max_len=8,
        order=order,
        pairs=pairs,
    )


def alt2_pharmacy_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['pharmacy', 'send to'],
        keywords={'phar': 1.0, 'send': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.5, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'dob': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rx': 1.0, 'rxno': 1.0, 'sig': 1.0, 'stre': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.6,
        max_words=12,
        context=('pharmacy', 'prescriber signature'),
        label_relations={'send to': 'colon'},
        capitalised=True,
        max_len=8,
        order=order,
        pairs=pairs,
    )


LABELS = ('attending', 'beneficiary', 'birth', 'birth date', 'birthdate', 'born', 'chemist', 'client', 'clinician', 'consultant', 'date', 'date issued', 'date of birth', 'date of issue', 'date written', 'dea', 'directions', 'directions for use', 'disp', 'dispense', 'dispense quantity', 'dispenser', 'dispensing pharmacy', 'dob', 'doctor', 'dosage', 'dosage strength', 'dose', 'dr', 'drug', 'drug name', 'freq', 'frequency', 'how', 'how often', 'instructions', 'instructions for use', 'issued', 'md', 'medication', 'medication ordered', 'medicine', 'member', 'name', 'name of patient', 'national provider identifier', 'npi', 'patient', 'patient name', 'pharmacy', 'physician', 'potency', 'practitioner', 'prescribed', 'prescriber', 'prescriber npi', 'product', 'provider', 'pt', 'pt name', 'qty', 'quantity', 'quantity dispensed', 'refill', 'refills', 'refills allowed', 'refills authorized', 'repeat', 'repeats', 'resident', 'responsible', 'responsible clinician', 'rpt', 'rx', 'rx date', 'rxnorm cui', 'schedule', 'send to', 'sig', 'strength', 'supply', 'treating physician', 'usage', 'written')


def extract(doc):
    pairs = runtime.pair_index(doc, LABELS)
    order = runtime.date_order(doc, 'mdy')
    return {
        'patient_name': [alt1_patient_name(doc, pairs, order), alt2_patient_name(doc, pairs, order)],
        'birth_date': [alt1_birth_date(doc, pairs, order)],
        'drug_name': [alt1_drug_name(doc, pairs, order), alt2_drug_name(doc, pairs, order)],
        'strength': [alt1_strength(doc, pairs, order), alt2_strength(doc, pairs, order)],
        'drug_rxnorm': [alt1_drug_rxnorm(doc, pairs, order), alt2_drug_rxnorm(doc, pairs, order)],
        'sig': [alt1_sig(doc, pairs, order), alt2_sig(doc, pairs, order)],
        'quantity': [alt1_quantity(doc, pairs, order), alt2_quantity(doc, pairs, order)],
        'refills': [alt1_refills(doc, pairs, order), alt2_refills(doc, pairs, order)],
        'prescriber_npi': [alt1_prescriber_npi(doc, pairs, order)],
        'prescriber_dea': [alt1_prescriber_dea(doc, pairs, order)],
        'date_written': [alt1_date_written(doc, pairs, order), alt2_date_written(doc, pairs, order)],
        'pharmacy_name': [alt1_pharmacy_name(doc, pairs, order), alt2_pharmacy_name(doc, pairs, order)],
    }
