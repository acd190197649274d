"""Hospital discharge summaries, HL7 CDA R2 -> Encounter (IMP) + discharge Composition."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from mappers import MappingError, map_discharge_summary
from mappers.cda_discharge import map_discharge_file
from tests.mappers.helpers import SAMPLES, assert_valid_transaction, check_golden, resources

FOLDER = SAMPLES / "cda_discharge"
FULL = FOLDER / "pneumonia_discharge.xml"
MINIMAL = FOLDER / "minimal_discharge.xml"


def test_full_discharge_summary() -> None:
    [bundle] = map_discharge_file(FULL)
    assert_valid_transaction(bundle)
    [encounter] = resources(bundle, "Encounter")
    [composition] = resources(bundle, "Composition")
    assert encounter["class"]["code"] == "IMP"
    assert encounter["period"] == {"start": "2024-03-05T10:20:00+03:00", "end": "2024-03-15T12:00:00+03:00"}
    assert encounter["identifier"] == [{"system": "https://emc.mos.ru/fhir/sid/hospital-stay",
                                        "value": "0501/ИБ-2024-01731"}]
    assert composition["type"]["coding"] == [{"system": "http://loinc.org", "code": "18842-5",
                                              "display": "Discharge summary"}]
    assert composition["identifier"] == {"system": "https://emc.mos.ru/fhir/sid/discharge-summary",
                                         "value": "0501/ЭП-2024-01731"}
    assert composition["confidentiality"] == "N" and composition["title"] == "Выписной эпикриз"
    assert [s["code"]["coding"][0]["code"] for s in composition["section"]] == \
        ["11535-2", "8648-8", "11493-4", "18841-7", "29549-3", "8653-8"]
    assert composition["attester"][0]["mode"] == "legal"
    assert len(resources(bundle, "Practitioner")) == 2
    [patient] = resources(bundle, "Patient")
    assert patient["birthDate"] == "1957-09-23" and patient["gender"] == "female"
    assert [i["system"].rsplit("/", 1)[1] for i in patient["identifier"]] == ["mhi", "snils"]


def test_narrative_is_preserved_as_xhtml() -> None:
    composition = resources(map_discharge_summary(FULL.read_bytes()), "Composition")[0]
    course = composition["section"][1]["text"]
    assert course["status"] == "additional"
    assert "температуры до 38,9 °C" in course["div"] and "кашля.<br/>Выписывается" in course["div"]
    studies = etree.fromstring(composition["section"][2]["text"]["div"])
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    assert studies.find("h:table/h:caption", ns).text == "Общий анализ крови"
    assert [td.text for td in studies.findall("h:table/h:tbody/h:tr[2]/h:td", ns)] == ["СОЭ, мм/ч", "38", "16"]
    assert len(studies.findall("h:ul/h:li", ns)) == 2
    treatment = etree.fromstring(composition["section"][4]["text"]["div"])
    assert len(treatment.findall("h:ol/h:li", ns)) == 3
    diagnosis = composition["section"][0]["text"]["div"]
    assert "<p><b>Основной:</b> J18.1 Внебольничная" in diagnosis
    assert "styleCode" not in diagnosis and "urn:hl7-org:v3" not in diagnosis


def test_minimal_discharge_summary_matches_golden() -> None:
    [bundle] = map_discharge_file(MINIMAL)
    assert_valid_transaction(bundle)
    check_golden("cda_discharge__minimal_discharge", bundle)
    [composition] = resources(bundle, "Composition")
    assert "attester" not in composition and "confidentiality" not in composition
    assert composition["section"][0]["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">Плановая')


def test_full_discharge_summary_matches_golden() -> None:
    check_golden("cda_discharge__pneumonia_discharge", map_discharge_file(FULL))


def test_mapping_twice_gives_identical_bundles() -> None:
    assert map_discharge_file(FULL) == map_discharge_file(FULL)


def test_the_parsed_tree_is_accepted_and_left_unchanged() -> None:
    root = etree.fromstring(FULL.read_bytes())
    before = etree.tostring(root)
    assert map_discharge_summary(root) == map_discharge_file(FULL)[0]
    assert etree.tostring(root) == before


def _error_for(text: str, tmp_path: Path) -> str:
    path = tmp_path / "epicrisis.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as info:
        map_discharge_file(path)
    return str(info.value)


def _edited(old: str, new: str, source: Path = FULL) -> str:
    text = source.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def _line_of(fragment: str, source: Path = FULL) -> int:
    text = source.read_text(encoding="utf-8")
    return text[:text.index(fragment)].count("\n") + 1


def test_malformed_xml_names_file_and_line(tmp_path: Path) -> None:
    message = _error_for(_edited("</title>", "</titel>"), tmp_path)
    assert message.startswith("epicrisis.xml: not well-formed XML: ")
    assert message.endswith(f"(line {_line_of('</title>')})")


@pytest.mark.parametrize(("old", "new", "expected", "anchor"), [
    ('extension="7753210987654321"', 'extension="77532109876"',
     "ClinicalDocument/recordTarget/patientRole/id[1]: '77532109876' is not an MHI policy number (16 digits)",
     'extension="7753210987654321"'),
    ('<id root="008f8adb-4a53-5ae4-8570-3942049c9c3a" extension="7753210987654321"/>', "",
     "ClinicalDocument/recordTarget/patientRole: no MHI policy number id (root 008f8adb-4a53-5ae4-8570-3942049c9c3a)",
     "<patientRole>"),
    ('<low value="202403051020+0300"/>', '<low value="2024-03-05"/>',
     "ClinicalDocument/componentOf/encompassingEncounter/effectiveTime/low: '2024-03-05' is not an HL7 timestamp",
     "<low "),
    ('<high value="202403151200+0300"/>', "",
     "ClinicalDocument/componentOf/encompassingEncounter: no discharge time (effectiveTime/high)",
     "<encompassingEncounter>"),
    ('<high value="202403151200+0300"/>', '<high value="202403011200+0300"/>',
     "ClinicalDocument/componentOf/encompassingEncounter: discharge 2024-03-01T12:00:00+03:00 is before admission",
     "<encompassingEncounter>"),
    ('<code code="8653-8" codeSystem="2.16.840.1.113883.6.1" displayName="Hospital discharge instructions"/>',
     '<code code="51848-0" codeSystem="2.16.840.1.113883.6.1"/>',
     "ClinicalDocument/component/structuredBody: no discharge instructions section (LOINC 18776-5 or 8653-8)",
     "<structuredBody>"),
    ('extension="14527839081"', 'extension="14527839082"',
     "ClinicalDocument/author/assignedAuthor/id: SNILS '14527839082' has a wrong check number",
     'extension="14527839081"'),
    ('<id root="1.2.643.100.3" extension="21345678965"/>', '<id root="1.2.643.5.1.13" extension="21345678965"/>',
     "ClinicalDocument/legalAuthenticator/assignedEntity: no SNILS id (root 1.2.643.100.3)", "<assignedEntity>"),
    ('<confidentialityCode code="N"', '<confidentialityCode code="X"',
     "ClinicalDocument/confidentialityCode: confidentiality 'X' is not one of L, M, N, R, U, V",
     "<confidentialityCode"),
    ('code="11535-2" codeSystem="2.16.840.1.113883.6.1"', 'code="11535-2" codeSystem="LOINC"',
     "code: codeSystem 'LOINC' is not an OID", 'code="11535-2"'),
    ('<administrativeGenderCode code="F"', '<administrativeGenderCode code="Ж"',
     "administrativeGenderCode: gender 'Ж' is not M, F or UN", "<administrativeGenderCode"),
])
def test_malformed_documents_name_element_and_line(tmp_path: Path, old: str, new: str, expected: str,
                                                    anchor: str) -> None:
    message = _error_for(_edited(old, new), tmp_path)
    assert expected in message and message.startswith("epicrisis.xml: ")
    assert message.endswith(f"(line {_line_of(anchor)})")


def test_not_a_cda_document(tmp_path: Path) -> None:
    assert _error_for('<?xml version="1.0"?><Bundle xmlns="http://hl7.org/fhir"/>', tmp_path) == \
        ("epicrisis.xml: Bundle: the root element is not a CDA ClinicalDocument in the urn:hl7-org:v3 namespace "
         "(line 1)")
    nonxml = _edited("<structuredBody>", "<nonXMLBody><text>x</text></nonXMLBody><structuredBodyX>", MINIMAL)
    nonxml = nonxml.replace("</structuredBody>", "</structuredBodyX>")
    assert "no component/structuredBody" in _error_for(nonxml, tmp_path)


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    text = MINIMAL.read_text(encoding="utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>')
    text = text.replace("Плановая госпитализация", "&x; Плановая госпитализация")
    bundle = map_discharge_summary(text)
    assert "SECRET" not in str(bundle)


def test_unknown_sections_and_nested_sections_are_kept() -> None:
    text = _edited("</structuredBody>", """<component><section>
          <code code="X1" codeSystem="2.16.840.1.113883.19.6"/>
          <title>Листок нетрудоспособности</title>
          <component><section><title>Период</title><text>с 05.03.2024 по 15.03.2024</text></section></component>
        </section></component>
        <component><section><title>Пустой раздел</title></section></component>
      </structuredBody>""", MINIMAL)
    composition = resources(map_discharge_summary(text), "Composition")[0]
    other, empty = composition["section"][2:4]
    assert other["code"]["coding"][0]["system"] == "urn:oid:2.16.840.1.113883.19.6"
    assert other["section"][0]["text"]["div"].endswith(">с 05.03.2024 по 15.03.2024</div>")
    assert "text" not in other
    assert empty["emptyReason"]["coding"][0]["code"] == "unavailable"
    assert empty["text"]["div"].endswith("<p>Раздел в исходном документе пуст.</p></div>")  # cmp-1
    assert_valid_transaction(map_discharge_summary(text))


def test_sections_the_profile_requires_are_added_empty() -> None:
    """emc-discharge-summary needs studies, consultations and treatment: the minimal document has none."""
    composition = resources(map_discharge_summary(MINIMAL.read_bytes()), "Composition")[0]
    assert composition["meta"] == {"profile": ["https://emc.mos.ru/fhir/StructureDefinition/emc-discharge-summary"]}
    assert [s["code"]["coding"][0]["code"] for s in composition["section"]] == \
        ["8648-8", "8653-8", "11493-4", "18841-7", "29549-3"]
    for section in composition["section"][2:]:
        assert section["emptyReason"] == {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason", "code": "notasked",
            "display": "Not Asked"}]}
        assert section["text"] == {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">'
                                   "<p>Раздел отсутствует в исходном документе.</p></div>"}
        assert "entry" not in section and "section" not in section
    full = resources(map_discharge_summary(FULL.read_bytes()), "Composition")[0]
    assert not any("emptyReason" in s for s in full["section"])  # nothing added to a complete document


def test_plan_of_care_section_is_also_the_discharge_instructions() -> None:
    text = _edited('<code code="8653-8" codeSystem="2.16.840.1.113883.6.1"/>',
                   '<code code="18776-5" codeSystem="2.16.840.1.113883.6.1"/>', MINIMAL)
    composition = resources(map_discharge_summary(text), "Composition")[0]
    plan = composition["section"][1]
    assert [(c["code"], c.get("display")) for c in plan["code"]["coding"]] == \
        [("18776-5", None), ("8653-8", "Hospital discharge instructions")]
    assert plan["title"] == "Рекомендации" and "emptyReason" not in plan


def test_foreign_document_ids_keep_their_oid() -> None:
    text = _edited('<id root="08894fea-0b49-54d4-b60c-b855e41de03c" extension="ЭП-2024-02210"/>',
                   '<id root="2.16.840.1.113883.19.5.99999.1" extension="4711"/>', MINIMAL)
    composition = resources(map_discharge_summary(text), "Composition")[0]
    assert composition["identifier"] == {"system": "urn:oid:2.16.840.1.113883.19.5.99999.1",
                                         "value": "4711"}
