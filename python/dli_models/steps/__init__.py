"""One module per preparation step; the orchestrator finds them by scanning
this package. Each module defines STEP (a common.Step) and a run(context)
function, and imports its heavy dependencies inside run(), because the
orchestrator imports every step module under /usr/bin/python3 to read STEP.
"""
