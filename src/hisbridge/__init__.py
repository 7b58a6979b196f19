"""hisbridge: a hospital gateway to China's public-health platforms."""

__all__ = ["__version__"]
__version__ = "0.2.0.dev0"
