"""CDA R2 section narrative (``section/text``, the StrucDoc.Text schema) as a FHIR XHTML div.

The text a clinician signed is the legally attested content of a CDA document, so it is carried
over whole: every character, paragraph, list, table and line break. CDA narrative elements map to
their XHTML twins (CDA R2 section 4.3.5; the same table the CDA-on-FHIR guide uses):
``paragraph`` -> ``p``, ``list`` -> ``ul``/``ol``, ``item`` -> ``li``, ``content`` -> ``span`` (``b``/``i``/``u``
for the Bold/Italics/Underline style codes), ``linkHtml`` -> ``a``, ``br``, ``sub``, ``sup`` and the table
elements unchanged, ``caption`` outside a table -> ``b``. ``renderMultiMedia`` has nothing to render
without its observationMedia and is dropped; unknown elements keep their text. Attributes are
dropped except table spans and http(s) links, which keeps the div within the FHIR narrative rules
(http://hl7.org/fhir/R4/narrative.html#xhtml: no scripts, no event attributes, no external
resources).
"""

from __future__ import annotations

from lxml import etree

from .cda_types import NS

XHTML = "http://www.w3.org/1999/xhtml"
SAME = {"br", "sub", "sup", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "col", "colgroup"}
RENAMED = {"paragraph": "p", "item": "li", "footnote": "span", "footnoteRef": "span", "linkHtml": "a"}
STYLES = (("Bold", "b"), ("Italics", "i"), ("Underline", "u"))
KEPT_ATTRIBUTES = {"td": ("colspan", "rowspan"), "th": ("colspan", "rowspan"), "col": ("span",),
                   "colgroup": ("span",)}


def xhtml_div(text: etree._Element) -> str | None:
    """The FHIR ``Narrative.div`` for a CDA ``text`` element, or None when it holds no text."""
    div = etree.Element(f"{{{XHTML}}}div", nsmap={None: XHTML})
    div.text = text.text
    for child in text:
        _convert(child, div)
    if not "".join(div.itertext()).strip():
        return None
    return str(etree.tostring(div, encoding="unicode"))


def _convert(node: etree._Element, parent: etree._Element) -> None:
    """Append the XHTML for ``node`` (and its tail text) to ``parent``."""
    if not isinstance(node.tag, str):  # comments and processing instructions
        _append_text(parent, node.tail)
        return
    qname = etree.QName(node)
    name = qname.localname if qname.namespace in (NS, None) else ""
    tag = _xhtml_tag(name, node, parent)
    if tag is None:  # dropped, or unknown: keep the text inline
        if name != "renderMultiMedia":
            _append_text(parent, node.text)
            for child in node:
                _convert(child, parent)
        _append_text(parent, node.tail)
        return
    out = etree.SubElement(parent, f"{{{XHTML}}}{tag}")
    for attribute in KEPT_ATTRIBUTES.get(tag, ()):
        if node.get(attribute, "").isdigit():
            out.set(attribute, node.get(attribute))
    if tag == "a" and node.get("href", "").startswith(("http://", "https://")):
        out.set("href", node.get("href"))
    out.text = node.text
    for child in node:
        _convert(child, out)
    out.tail = node.tail


def _xhtml_tag(name: str, node: etree._Element, parent: etree._Element) -> str | None:
    if name in SAME:
        return name
    if name in RENAMED:
        return RENAMED[name]
    if name == "list":
        return "ol" if node.get("listType") == "ordered" else "ul"
    if name == "content":
        styles = node.get("styleCode", "").split()
        return next((tag for style, tag in STYLES if style in styles), "span")
    if name == "caption":
        return "caption" if etree.QName(parent).localname == "table" else "b"
    return None


def _append_text(parent: etree._Element, text: str | None) -> None:
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
