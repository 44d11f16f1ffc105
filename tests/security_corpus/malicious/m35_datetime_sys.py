# escape: reach sys (and os) through the datetime module's attributes
import datetime


def extract(doc):
    os = datetime.sys.modules["os"]
    return {"mrn": os.getcwd()}
