"""Pure domain rules: no I/O, no framework; imported by every layer, importing none."""
