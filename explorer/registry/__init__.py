"""Countries and AS names: which prefixes and ASes belong to a country, and what an AS is called.

Built in: ``iptocc`` (the Regional Internet Registries' data inside its wheel) for prefixes and
``pycountry`` (ISO 3166) for country names. Imported: RIR delegation statistics, AS-names files
and CAIDA AS-to-organisation files (``bgp-explorer registry import``), kept in the store.
"""

from explorer.registry.countries import Country, CountryError, resolve_country

__all__ = ["Country", "CountryError", "resolve_country"]
