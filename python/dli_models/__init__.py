"""DLI model preparation: turns one trained model into every framework's format.

Run ``python/dli_models/prepare.py --help`` (with /usr/bin/python3); see
docs/MODELS.md for the metadata schema and how to add a conversion step.
"""
