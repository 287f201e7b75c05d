"""The semantic first stage, engine-neutral: a sentence-embedding model run by ONNX Runtime
(model.py, graph.py), the vectors stored beside each build (vectors.py, written by writer.py's
VectorWriter around any backend's Writer), and their fusion with the BM25 listing (fusion.py).
Nothing outside this package imports the model's runtime (tests/test_architecture.py)."""
