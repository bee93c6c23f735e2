"""Everything Saring says to people, one module per language (only Indonesian for now)."""
