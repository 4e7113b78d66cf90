"""zh-invest-ie: corpus tools and spaCy components for investment-project news."""
