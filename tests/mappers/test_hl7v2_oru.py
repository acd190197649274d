"""Laboratory results, HL7 v2.5 ORU^R01 -> DiagnosticReport (LAB) + Observations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mappers import MappingError, map_oru_message, map_oru_messages
from mappers.hl7v2_oru import map_oru_file
from tests.mappers.helpers import SAMPLES, assert_valid_transaction, check_golden, resources

SAMPLE = SAMPLES / "hl7v2_oru" / "cbc_and_biochemistry.hl7"
MSH = "MSH|^~\\&|LIS|CDL01|EMC|DZM|20240312143015+0300||ORU^R01^ORU_R01|CTL1|P|2.5|||AL|NE|RUS|UNICODE UTF-8"
PID = "PID|1||7754310890001234^^^MHI^JHN||Смирнов^Алексей^Викторович||19680514|M"
OBR = "OBR|1|Z-1|F-1^CDL01|58410-2^Общий анализ крови^LN|||20240312083000|||||||||||||||20240312143000|||F"


def obx(n: int, value: str = "128", kind: str = "NM", code: str = "718-7^Гемоглобин^LN", units: str = "г/л",
        ref: str = "130-170", flags: str = "L", status: str = "F", sub: str = "") -> str:
    return f"OBX|{n}|{kind}|{code}|{sub}|{value}|{units}|{ref}|{flags}|||{status}|||20240312083000"


def message(*segments: str, sep: str = "\r") -> str:
    return sep.join([MSH, PID, *segments])


def test_sample_file_gives_one_bundle_per_message_and_matches_golden() -> None:
    bundles = map_oru_file(SAMPLE)
    assert len(bundles) == 2
    for bundle in bundles:
        assert_valid_transaction(bundle)
    assert [len(resources(b, "DiagnosticReport")) for b in bundles] == [1, 2]
    assert [len(resources(b, "Observation")) for b in bundles] == [6, 8]
    check_golden("hl7v2_oru__cbc_and_biochemistry", bundles)


def test_cbc_values_units_ranges_flags_and_notes() -> None:
    cbc = map_oru_file(SAMPLE)[0]
    [report] = resources(cbc, "DiagnosticReport")
    assert report["status"] == "final" and report["category"][0]["coding"][0]["code"] == "LAB"
    assert report["code"] == {"coding": [{"system": "http://loinc.org", "code": "58410-2"}],
                              "text": "Общий анализ крови"}
    assert report["identifier"][0]["value"] == "CDL01/240312-0457"
    assert report["issued"] == "2024-03-12T14:30:00+03:00"
    assert report["conclusion"] == "Рекомендована консультация терапевта."
    hb, rbc, wbc = resources(cbc, "Observation")[:3]
    assert hb["valueQuantity"] == {"value": 128, "unit": "г/л", "system": "http://unitsofmeasure.org",
                                   "code": "g/L"}
    assert hb["referenceRange"][0]["low"]["value"] == 130 and hb["referenceRange"][0]["high"]["value"] == 170
    assert hb["interpretation"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "L", "display": "Low"}
    assert rbc["valueQuantity"]["unit"] == "10^12/л" and rbc["valueQuantity"]["code"] == "10*12/L"  # \S\ unescaped
    assert wbc["valueQuantity"]["code"] == "10*9/L" and wbc["note"] == [
        {"text": "Сдвиг лейкоцитарной формулы влево не выявлен."}]
    assert wbc["referenceRange"][0]["text"] == "4.0 - 9.0"


def test_value_types_statuses_and_local_codes() -> None:
    bio = map_oru_file(SAMPLE)[1]
    by_code = {o["identifier"][0]["value"].split("/", 2)[2]: o for o in resources(bio, "Observation")}
    assert by_code["1988-5"]["valueQuantity"]["comparator"] == "<"  # SN <^0.5
    assert by_code["4548-4"]["status"] == "corrected"
    assert by_code["5196-1"]["valueCodeableConcept"] == {
        "coding": [{"system": "http://snomed.info/sct", "code": "260385009"}], "text": "Отрицательно"}
    assert by_code["ЦВЕТ"]["valueString"] == "соломенно-жёлтый"
    assert by_code["ЦВЕТ"]["code"] == {"text": "Цвет"}  # local code: text only
    assert by_code["5811-5"]["valueQuantity"] == {"value": 1.018}  # no unit
    assert by_code["20454-5"]["status"] == "cancelled"
    assert by_code["20454-5"]["dataAbsentReason"]["coding"][0]["code"] == "not-performed"


def test_mapping_twice_gives_identical_bundles() -> None:
    assert map_oru_file(SAMPLE) == map_oru_file(SAMPLE)


def test_minimal_message_without_optional_segments_and_fields() -> None:
    text = message("OBR|1||F-9^CDL01|ОАК^Общий анализ крови^L", "OBX|1|NM|WBC^Лейкоциты^L||6.1||||||F")
    bundle = map_oru_message(text)
    assert_valid_transaction(bundle)
    [report] = resources(bundle, "DiagnosticReport")
    [observation] = resources(bundle, "Observation")
    assert report["status"] == "unknown" and "effectiveDateTime" not in report and "issued" not in report
    assert observation["valueQuantity"] == {"value": 6.1}
    assert "referenceRange" not in observation and "interpretation" not in observation


@pytest.mark.parametrize("sep", ["\r", "\n", "\r\n"])
def test_segment_separators_and_mllp_framing(sep: str) -> None:
    framed = "\x0b" + message(OBR, obx(1), sep=sep) + "\x1c\r"
    assert map_oru_messages(framed) == [map_oru_message(message(OBR, obx(1)))]


def test_batch_envelope_and_legacy_cyrillic_charset() -> None:
    msh = MSH.replace("UNICODE UTF-8", "8859/5")
    text = "\r".join(["FHS|^~\\&|LIS", "BHS|^~\\&|LIS", msh, PID, OBR, obx(1), "BTS|1", "FTS|1"])
    [bundle] = map_oru_messages(text.encode("iso-8859-5"))
    [patient] = resources(bundle, "Patient")
    assert patient["name"][0]["family"] == "Смирнов"


def test_file_with_wrong_bytes_for_its_charset(tmp_path: Path) -> None:
    path = tmp_path / "lab.hl7"
    path.write_bytes(message(OBR, obx(1)).encode("cp1251"))
    with pytest.raises(MappingError, match=r"^lab.hl7: the bytes are not utf-8 text \(MSH-18 is UNICODE UTF-8\) "
                                           r"\(line 2\)$"):
        map_oru_file(path)


def test_the_documented_error_example(tmp_path: Path) -> None:
    path = tmp_path / "lab.hl7"
    path.write_text(message("ORC|RE|Z-1|F-1^CDL01", OBR, obx(1), obx(2, code="789-8^Эритроциты^LN"),
                            obx(3, "abc", code="6690-2^Лейкоциты^LN"), sep="\n"), encoding="utf-8")
    with pytest.raises(MappingError) as info:
        map_oru_file(path)
    assert str(info.value) == 'lab.hl7: message 1 (CTL1): OBX[3] field 5: "abc" is not a number (line 7)'
    assert (info.value.line, info.value.where) == (7, "message 1 (CTL1): OBX[3] field 5")


def test_second_message_of_a_file_is_named() -> None:
    good = message(OBR, obx(1))
    bad = message(OBR, obx(1, flags="ZZ")).replace("CTL1", "CTL2")
    with pytest.raises(MappingError) as info:
        map_oru_messages(good + "\r" + bad)
    assert str(info.value) == "message 2 (CTL2): OBX[1] field 8: abnormal flag 'ZZ' is not in HL7 table 0078 (line 8)"


@pytest.mark.parametrize(("segments", "expected"), [
    ((OBR, obx(1, status="")), "OBX[1] field 11: no observation result status (line 4)"),
    ((OBR, obx(1, status="Q")), "OBX[1] field 11: observation status 'Q' is not in HL7 table 0085 (line 4)"),
    ((OBR, obx(1, kind="XX")),
     "OBX[1] field 2: value type 'XX' is not supported (NM, SN, ST, TX, FT, CE, CWE) (line 4)"),
    ((OBR, obx(1, kind="")), "OBX[1] field 2: no value type for the value in OBX-5 (line 4)"),
    ((OBR, obx(1, code="")), "OBX[1] field 3: no code and no text (line 4)"),
    ((OBR, obx(1), obx(2)), "OBX[2] field 3: two Observation records have the identifier "
                            "https://emc.mos.ru/fhir/sid/lab-result|CDL01/F-1/718-7 (give repeated tests different "
                            "OBX-4 sub-ids) (line 5)"),
    ((OBR, obx(1, kind="CE", value="A~B")), "OBX[1] field 5: a CE value cannot repeat (2 repetitions); send one "
                                            "OBX per value (line 4)"),
    ((obx(1),), "OBX[1]: OBX before any OBR (line 3)"),
    (("NTE|1||x",), "MSH[1]: the message has no OBR segment (line 1)"),
    ((OBR.replace("F-1^CDL01", ""), obx(1)), "OBR[1] field 3: no filler order number (OBR-3 or ORC-3) (line 3)"),
    ((OBR.replace("|F\r", "|Q").replace("|||F", "|||Q"), obx(1)),
     "OBR[1] field 25: result status 'Q' is not in HL7 table 0123 (line 3)"),
    ((OBR.replace("20240312083000", "20241312"), obx(1)), "OBR[1] field 7: '20241312' is not a valid date (line 3)"),
])
def test_malformed_segments_name_segment_field_and_line(segments: tuple[str, ...], expected: str) -> None:
    with pytest.raises(MappingError) as info:
        map_oru_message(message(*segments))
    assert str(info.value) == f"message 1 (CTL1): {expected}"


def test_repeated_tests_with_sub_ids_are_kept_apart() -> None:
    bundle = map_oru_message(message(OBR, obx(1, sub="1"), obx(2, sub="2")))
    assert [o["identifier"][0]["value"] for o in resources(bundle, "Observation")] == \
        ["CDL01/F-1/718-7/1", "CDL01/F-1/718-7/2"]


@pytest.mark.parametrize(("text", "expected"), [
    (message(OBR, obx(1)).replace("ORU^R01^ORU_R01", "ADT^A01"), "MSH[1] field 9: message type ADT^A01 is not ORU^R01"),
    (message(OBR, obx(1)).replace("|2.5|", "|3.0|"), "MSH[1] field 12: HL7 version '3.0' is not one of"),
    (message(OBR, obx(1)).replace("^^^MHI^JHN", "^^^OMS^MR"), "PID[1] field 3: no MHI policy number"),
    (message(OBR, obx(1)).replace("7754310890001234", "77543"), "PID[1] field 3: '77543' is not an MHI policy"),
    (message(OBR, obx(1)).replace("|M", "|Ж"), "PID[1] field 8: sex 'Ж' is not in HL7 table 0001"),
    (message(OBR, obx(1)).replace("CDL01|EMC", "|EMC"), "MSH[1] field 4: no laboratory code"),
])
def test_malformed_headers(text: str, expected: str) -> None:
    with pytest.raises(MappingError) as info:
        map_oru_message(text)
    assert str(info.value).startswith(f"message 1 (CTL1): {expected}")


def test_not_hl7_at_all() -> None:
    with pytest.raises(MappingError, match=r"^'PID' comes before any MSH segment \(line 1\)$"):
        map_oru_messages(PID)
    with pytest.raises(MappingError, match="is not an HL7 segment"):
        map_oru_messages(MSH + "\rhello world")
    with pytest.raises(MappingError, match="no MSH segment"):
        map_oru_messages("\n\n")


def test_snils_in_pid_and_ranges_with_only_one_bound() -> None:
    text = message(OBR, obx(1, ref="<5"), obx(2, code="1988-5^СРБ^LN", ref=">1.2", units="мг/л"),
                   obx(3, code="14749-6^Глюкоза^LN", ref="3,9 – 6,1", units="ммоль/л"),
                   obx(4, code="5196-1^HBsAg^LN", kind="ST", value="отрицательно", ref="отрицательно"))
    text = text.replace("^^^MHI^JHN", "^^^MHI^JHN~11223344595^^^SNILS^SB")
    bundle = map_oru_message(text)
    [patient] = resources(bundle, "Patient")
    assert patient["identifier"][1] == {"system": "https://emc.mos.ru/fhir/sid/snils", "value": "11223344595"}
    first, second, third, fourth = resources(bundle, "Observation")
    assert set(first["referenceRange"][0]) == {"high", "text"}
    assert (third["referenceRange"][0]["low"]["value"], third["referenceRange"][0]["high"]["value"]) == (3.9, 6.1)
    assert fourth["referenceRange"] == [{"text": "отрицательно"}]
    assert second["referenceRange"][0]["low"] == {"value": 1.2, "unit": "мг/л", "system": "http://unitsofmeasure.org",
                                                 "code": "mg/L"}


def _value(kind: str, value: str, units: str = "") -> dict[str, Any]:
    bundle = map_oru_message(message(OBR, obx(1, value, kind=kind, units=units, ref="", flags="")))
    [observation] = resources(bundle, "Observation")
    return {k: v for k, v in observation.items() if k.startswith("value")}


def test_structured_numeric_forms() -> None:
    assert _value("SN", ">=^10") == {"valueQuantity": {"value": 10, "comparator": ">="}}
    assert _value("SN", "^10^-^20", "мг/л")["valueRange"]["high"]["code"] == "mg/L"
    assert _value("SN", "^1^:^160") == {"valueRatio": {"numerator": {"value": 1}, "denominator": {"value": 160}}}
    assert _value("FT", "строка 1\\.br\\строка 2") == {"valueString": "строка 1\nстрока 2"}
    assert _value("NM", "5.0", "10*9/L^^UCUM") == {"valueQuantity": {"value": 5.0, "unit": "10*9/L",
                                                                     "system": "http://unitsofmeasure.org",
                                                                     "code": "10*9/L"}}
    assert _value("NM", "12", "усл.ед.") == {"valueQuantity": {"value": 12, "unit": "усл.ед."}}  # no UCUM code
