# escape: a class whose finalizer runs after the sandbox disarms
class Sneaky:
    def __del__(self):
        open("/tmp/docc_pwned", "w")


def extract(doc):
    Sneaky()
    return {}
