"""docc compile time: candidate generators, validation stages, locked artifacts."""
