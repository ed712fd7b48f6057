"""Convert trained models (NIR, PyTorch, Keras, scikit-learn) into Neuromesh network.json
files (format version 2) and simulate them in the real-valued model. See ../README.md."""

__version__ = "0.1.0"
