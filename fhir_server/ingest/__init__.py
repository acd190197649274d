"""Getting data in from the command line: ``load`` (files and Bundles), ``import`` (source documents through
the mappers), ``seed`` (a synthetic population) and the demo data of ``make run``."""
