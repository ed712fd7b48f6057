"""Importers: each turns a trained model into an ``ir.Model`` or raises a
``ConversionError`` listing every layer or node it cannot express."""
