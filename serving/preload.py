"""Imports, before Rasa, what is slow to import after it. Import this module first.

skops (which Rasa's LogisticRegressionClassifier uses to save and load its model)
looks up the module of every numpy and scipy ufunc when it is imported, by scanning
`sys.modules`. After Rasa has loaded TensorFlow (and JAX) there are about 6,000
modules, and that import takes 10 to 20 s of CPU: half of `rasa train`'s persist
step and most of the Rasa server's cold start. Imported first, it takes about 2 s.
"""

from __future__ import annotations

import sys

if "tensorflow" in sys.modules:  # too late to help; say so rather than hide it
    import warnings

    warnings.warn("serving.preload imported after TensorFlow: skops will import slowly", stacklevel=2)

import skops.io  # noqa: E402,F401 - the point of this module
