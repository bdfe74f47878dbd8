# Headless Chromium renders the HTML report in tests/report to check that the
# figures really draw (a screenshot that is not blank); DejaVu gives the
# figures' sans-serif text a known font. Only the tests need them.
dli_apt chromium fonts-dejavu-core
