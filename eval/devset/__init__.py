"""Real-document dev set: labeled C-CDA renderings built from the ONC 2015 certification samples."""
