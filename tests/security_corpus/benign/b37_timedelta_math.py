# date arithmetic with timedelta (deterministic)
from datetime import datetime, timedelta


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            if line.text.startswith("Collected:"):
                try:
                    d = datetime.strptime(line.text.split()[-1], "%Y-%m-%d")
                except ValueError:
                    return {"collected": None}
                same = d + timedelta(days=0)
                return {"collected": same.date().isoformat()}
    return {"collected": None}
