"""(family module; see the catalog ids registered below)."""
