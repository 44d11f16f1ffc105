# docc compiled extractor: doc_type=prescription
# schema_sha256=3eb714ba27eaa7d0f005fae914255fbbfc83c325c6b767e89fa8bafc50c3f301
# samples_sha256=27ee92902839790d448be25ae785754f4d53299baf28ee90a19b4a478be2d5fd
# generators=synth
# Generated code: review it like any code; edits break the lock (recompile instead).
from extractors import runtime


def field_patient_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['name', 'patient name'],
        keywords={'name': 0.5, 'pati': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.625, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'drug': 0.75, 'for': 1.0, 'issu': 1.0, 'npi': 1.0, 'of': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'to': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_birth_date(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['birth date', 'date of birth'],
        keywords={'birt': 1.0, 'date': 0.625, 'of': 1.0},
        foes={'cui': 1.0, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'drug': 0.75, 'for': 1.0, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'to': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_drug_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['drug'],
        min_score=2.0,
        max_words=12,
        order=order,
        pairs=pairs,
    )


def field_strength(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['strength'],
        min_score=2.0,
        max_words=12,
        order=order,
        pairs=pairs,
    )


def field_drug_rxnorm(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['rxnorm cui'],
        keywords={'cui': 1.0, 'drug': 0.25, 'rxno': 1.0},
        foes={'birt': 1.0, 'date': 0.625, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'for': 1.0, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'of': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'to': 1.0, 'use': 1.0, 'writ': 1.0},
        system='rxnorm',
        min_score=0.4,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_sig(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['directions', 'directions for use', 'sig'],
        keywords={'dire': 1.0, 'for': 1.0, 'sig': 1.0, 'use': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.625, 'dea': 1.0, 'disp': 1.0, 'drug': 0.75, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'of': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rxno': 1.0, 'send': 1.0, 'stre': 1.0, 'to': 1.0, 'writ': 1.0},
        min_score=0.4,
        max_words=12,
        order=order,
        pairs=pairs,
    )


def field_quantity(doc, pairs, order):
    return runtime.field(
        doc,
        kind='integer',
        labels=['disp', 'qty', 'quantity'],
        keywords={'disp': 1.0, 'qty': 1.0, 'quan': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.625, 'dea': 1.0, 'dire': 1.0, 'drug': 0.75, 'for': 1.0, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'of': 1.0, 'pati': 1.0, 'phar': 1.0, 'refi': 1.0, 'repe': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'to': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.4,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_refills(doc, pairs, order):
    return runtime.field(
        doc,
        kind='integer',
        labels=['refills', 'repeats'],
        min_score=2.0,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_prescriber_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='person_name',
        labels=['name', 'prescriber'],
        min_score=2.0,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_prescriber_npi(doc, pairs, order):
    return runtime.field(
        doc,
        kind='code',
        labels=['npi', 'prescriber npi'],
        keywords={'npi': 1.0, 'pres': 0.429},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.625, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'drug': 0.75, 'for': 1.0, 'issu': 1.0, 'name': 0.5, 'of': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'to': 1.0, 'use': 1.0, 'writ': 1.0},
        system='npi',
        min_score=0.4,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_prescriber_dea(doc, pairs, order):
    return runtime.field(
        doc,
        kind='identifier',
        labels=['dea'],
        keywords={'dea': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'date': 0.625, 'dire': 1.0, 'disp': 1.0, 'drug': 0.75, 'for': 1.0, 'issu': 1.0, 'name': 0.5, 'npi': 1.0, 'of': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'to': 1.0, 'use': 1.0, 'writ': 1.0},
        min_score=0.4,
        max_words=3,
        order=order,
        pairs=pairs,
    )


def field_date_written(doc, pairs, order):
    return runtime.field(
        doc,
        kind='date',
        labels=['date issued', 'written'],
        keywords={'date': 0.375, 'issu': 1.0, 'writ': 1.0},
        foes={'birt': 1.0, 'cui': 1.0, 'dea': 1.0, 'dire': 1.0, 'disp': 1.0, 'drug': 0.75, 'for': 1.0, 'name': 0.5, 'npi': 1.0, 'of': 1.0, 'pati': 1.0, 'phar': 1.0, 'qty': 1.0, 'quan': 1.0, 'refi': 1.0, 'repe': 1.0, 'rxno': 1.0, 'send': 1.0, 'sig': 1.0, 'stre': 1.0, 'to': 1.0, 'use': 1.0},
        min_score=0.4,
        max_words=5,
        order=order,
        pairs=pairs,
    )


def field_pharmacy_name(doc, pairs, order):
    return runtime.field(
        doc,
        kind='string',
        labels=['pharmacy', 'send to'],
        min_score=2.0,
        max_words=12,
        order=order,
        pairs=pairs,
    )


LABELS = ('birth date', 'date issued', 'date of birth', 'dea', 'directions', 'directions for use', 'disp', 'drug', 'name', 'npi', 'patient name', 'pharmacy', 'prescriber', 'prescriber npi', 'qty', 'quantity', 'refills', 'repeats', 'rxnorm cui', 'send to', 'sig', 'strength', 'written')


def extract(doc):
    pairs = list(runtime.iter_pairs(doc, LABELS))
    order = runtime.date_order(doc, 'mdy')
    return {
        'patient_name': field_patient_name(doc, pairs, order),
        'birth_date': field_birth_date(doc, pairs, order),
        'drug_name': field_drug_name(doc, pairs, order),
        'strength': field_strength(doc, pairs, order),
        'drug_rxnorm': field_drug_rxnorm(doc, pairs, order),
        'sig': field_sig(doc, pairs, order),
        'quantity': field_quantity(doc, pairs, order),
        'refills': field_refills(doc, pairs, order),
        'prescriber_name': field_prescriber_name(doc, pairs, order),
        'prescriber_npi': field_prescriber_npi(doc, pairs, order),
        'prescriber_dea': field_prescriber_dea(doc, pairs, order),
        'date_written': field_date_written(doc, pairs, order),
        'pharmacy_name': field_pharmacy_name(doc, pairs, order),
    }
