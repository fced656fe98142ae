"""BGP History Explorer: what happened to a country's Internet, when, and through whom."""

__version__ = "0.1.0"
