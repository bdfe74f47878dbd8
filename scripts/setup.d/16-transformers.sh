# Hugging Face transformers for the zoo's BERT-class text encoder
# (python/dli_models/zoo/bert_mini.json): BertModel built from a BertConfig
# with seeded weights, offline (no package ships BERT weights and nothing is
# downloaded). --system-site-packages: it runs on Debian's torch 1.13 (PyPI's
# torch is a CUDA build), which 4.40.2 supports; the reference step adds
# this venv's site-packages after the system Python's own.
dli_venv transformers --system-site-packages -- transformers==4.40.2
