//! Importers of the registry files: households, enterprises, enterprise links.
