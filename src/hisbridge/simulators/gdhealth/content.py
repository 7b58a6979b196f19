"""Seeded clinical content for every category of record-types.json.

Values are plausible, not real: lab items carry reference ranges and H/L flags computed from
them, exams have findings and impressions, vaccinations follow a schedule, transfusions and
donations carry the resident's blood group.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from hisbridge.simulators.gdhealth import catalog
from hisbridge.simulators.gdhealth.documents import CATEGORY_OF, SimDocument
from hisbridge.simulators.gdhealth.residents import OTHER_ORGS, Resident

__all__ = ["CATEGORY_OF", "SimDocument", "make_documents"]


class _Maker:
    def __init__(
        self, rng: random.Random, person: Resident, anchor: datetime, own_org: tuple[str, str]
    ) -> None:
        self.rng, self.person, self.anchor, self.own = rng, person, anchor, own_org
        self.docs: list[SimDocument] = []

    def when(self, max_days: int = 1500) -> datetime:
        days = self.rng.randrange(3, max_days)
        moment = self.anchor - timedelta(days=days)
        return moment.replace(
            hour=self.rng.randrange(8, 17),
            minute=self.rng.choice((0, 15, 30)),
            second=0,
            microsecond=0,
        )

    def add(
        self,
        record_type: str,
        title: str,
        org: tuple[str, str],
        dept: str,
        enc: str,
        when: datetime,
        summary: str,
        structured: dict[str, Any],
    ) -> None:
        doc_id = f"DOC-{self.person.person_key[4:]}-{len(self.docs) + 1:03d}"
        self.docs.append(
            SimDocument(
                doc_id,
                self.person.person_key,
                record_type,
                title,
                org[0],
                org[1],
                dept,
                enc,
                when,
                summary,
                structured,
            )
        )

    def org(self) -> tuple[str, str]:
        return self.rng.choice(OTHER_ORGS)

    def lab(self, panel: str, when: datetime, org: tuple[str, str], diagnosis: str) -> None:
        items = [self._lab_item(*spec) for spec in catalog.PANELS[panel]]
        abnormal = [
            f"{i['itemName']} {i['quantValue']}{'↑' if i['abnormalFlag'] == 'H' else '↓'}"
            for i in items
            if i["abnormalFlag"]
        ]
        conclusion = "异常:" + ";".join(abnormal) if abnormal else "各项结果在参考范围内"
        structured = {
            "reportNo": f"JY{when:%Y%m%d}{self.rng.randrange(1000, 9999)}",
            "requestNo": f"SQ{self.rng.randrange(10**7, 10**8)}",
            "specimenNo": f"BB{self.rng.randrange(10**7, 10**8)}",
            "requestOrg": f"{org[1]} 门诊内科",
            "labCategory": "生化" if panel != "血常规" else "血液",
            "method": "全自动分析仪法",
            "specimenType": "静脉血",
            "specimenStatus": "合格",
            "collectedAt": when.isoformat(),
            "receivedAt": (when + timedelta(minutes=25)).isoformat(),
            "reportedAt": (when + timedelta(hours=2)).isoformat(),
            "reportDept": "检验科",
            "reportOrg": org[1],
            "reportConclusion": conclusion,
            "reportRemark": "",
            "signers": {
                "reporter": self.rng.choice(catalog.DOCTORS),
                "reviewer": self.rng.choice(catalog.DOCTORS),
            },
            "clinicalDiagnosis": diagnosis,
            "items": items,
        }
        summary = f"{panel}:" + (";".join(abnormal[:2]) if abnormal else "未见异常")
        self.add(
            "lab_report",
            f"检验报告 · {panel}",
            org,
            "检验科",
            "OUTPATIENT",
            when,
            summary,
            structured,
        )

    def _lab_item(self, name: str, code: str, unit: str, low: float, high: float) -> dict[str, Any]:
        width = high - low
        roll = self.rng.random()
        value = (
            high + width * self.rng.uniform(0.05, 0.5)
            if roll < 0.18
            else low - width * self.rng.uniform(0.05, 0.3)
            if roll < 0.26
            else self.rng.uniform(low, high)
        )
        value = round(max(value, 0.01), 2 if high < 20 else 1)
        flag = "H" if value > high else "L" if value < low else ""
        return {
            "itemCode": code,
            "itemName": name,
            "quantValue": value,
            "unit": unit,
            "qualValue": None,
            "referenceRange": f"{low:g}-{high:g}",
            "abnormalFlag": flag,
        }

    def outpatient(self) -> None:
        when, org = self.when(), self.org()
        code, name = self.rng.choice(catalog.DIAGNOSES)
        doctor = self.rng.choice(catalog.DOCTORS)
        no = f"MZ{when:%Y%m%d}{self.rng.randrange(1000, 9999)}"
        self.add(
            "visit_summary",
            f"门诊就诊 · {name}",
            org,
            "内科门诊",
            "OUTPATIENT",
            when,
            f"诊断:{name}({code})",
            {
                "orgCode": org[0],
                "orgName": org[1],
                "encounterType": "门诊",
                "outpatientNo": no,
                "deptName": "内科门诊",
                "attendingDoctor": doctor,
                "visitReason": "复诊取药" if code in ("I10", "E11.9") else "不适就诊",
                "diagnoses": [{"code": code, "name": name}],
                "outcome": "好转",
                "keyDrugs": "按医嘱",
                "insuranceType": "城镇职工基本医疗保险",
                "outpatientCost": round(self.rng.uniform(80, 600), 2),
                "selfPaid": round(self.rng.uniform(20, 200), 2),
                "historyAllergy": self.rng.choice(["否认药物过敏史", "青霉素过敏"]),
            },
        )
        self.add(
            "outpatient_record",
            f"门诊病历 · {name}",
            org,
            "内科门诊",
            "OUTPATIENT",
            when + timedelta(minutes=5),
            f"主诉:{catalog.COMPLAINT.get(code, '不适')}",
            {
                "visitDateTime": when.isoformat(),
                "firstVisitFlag": "初诊",
                "chiefComplaint": catalog.COMPLAINT.get(code, "不适3天"),
                "presentIllness": "患者自述症状逐渐加重,无发热寒战,饮食睡眠尚可。",
                "pastHistory": "否认肝炎、结核等传染病史",
                "allergyFlag": "N",
                "physicalExam": "T 36.8℃ P 78次/分 R 18次/分 BP 132/84mmHg,神清,心肺未见异常。",
                "diagnosisCode": code,
                "diagnosisName": name,
                "doctorName": doctor,
                "prescriptions": [
                    {
                        "drugName": d,
                        "spec": s,
                        "dose": q,
                        "route": "口服",
                        "frequency": f,
                        "days": 7,
                    }
                    for d, s, q, f in catalog.DRUGS[:2]
                ],
            },
        )
        if self.rng.random() < 0.9:
            self.lab(self.rng.choice(list(catalog.PANELS)), when + timedelta(minutes=20), org, name)

    def inpatient(self) -> None:
        admit, org = self.when(), self.org()
        code, name, procedure = self.rng.choice(catalog.INPATIENT)
        days = self.rng.randrange(4, 12)
        out = admit + timedelta(days=days)
        self.add(
            "inpatient_discharge_summary",
            f"出院小结 · {name}",
            org,
            "普通外科病区",
            "INPATIENT",
            out,
            f"住院{days}天,{name},{procedure}",
            {
                "inpatientNo": f"ZY{admit:%Y}{self.rng.randrange(10000, 99999)}",
                "admissionDateTime": admit.isoformat(),
                "dischargeDateTime": out.isoformat(),
                "lengthOfStay": days,
                "admissionCondition": "一般情况可,生命体征平稳",
                "admissionDiagnoses": [{"code": code, "name": name}],
                "courseOfTreatment": f"入院后完善相关检查,行{procedure},术后恢复良好。",
                "dischargeDiagnoses": [{"code": code, "name": name}],
                "dischargeCondition": "治愈",
                "treatmentResult": "治愈",
                "dischargeOrders": "注意休息,清淡饮食,1周后门诊复查,不适随诊。",
                "surgeries": [
                    {
                        "name": procedure,
                        "date": (admit + timedelta(days=1)).date().isoformat(),
                        "anaesthesia": "全身麻醉",
                    }
                ],
            },
        )
        self.lab("血常规", admit + timedelta(hours=1), org, name)
        if self.rng.random() < 0.6:
            self.transfusion(admit + timedelta(days=1, hours=3), org, name)

    def exam(self) -> None:
        kind, title, site, findings, impression = self.rng.choice(catalog.EXAMS)
        when, org = self.when(), self.org()
        self.add(
            "exam_report",
            f"检查报告 · {title}",
            org,
            "医学影像科" if kind != "ECG" else "心电图室",
            "OUTPATIENT",
            when,
            impression,
            {
                "reportNo": f"JC{when:%Y%m%d}{self.rng.randrange(1000, 9999)}",
                "examCategory": kind,
                "examItemCode": kind + "001",
                "examMethod": title,
                "bodySite": site,
                "findings": findings,
                "impression": impression,
                "resultCode": "正常" if "正常" in impression else "异常",
                "reportDept": "医学影像科",
                "reportOrg": org[1],
                "reportedAt": (when + timedelta(hours=3)).isoformat(),
                "reporter": self.rng.choice(catalog.DOCTORS),
            },
        )

    def physical_exam(self) -> None:
        when = self.when(900)
        org = ("455000008", "广州市健康体检中心")
        height = self.rng.randrange(152, 182)
        weight = round(self.rng.uniform(48, 88), 1)
        bmi = round(weight / (height / 100) ** 2, 1)
        items = [
            self._lab_item(*spec) for spec in catalog.PANELS["血常规"][:3] + catalog.PANELS["糖代谢"][:1]
        ]
        flagged = [i["itemName"] for i in items if i["abnormalFlag"]]
        advice = "BMI 偏高,建议控制饮食、规律运动" if bmi >= 24 else "保持健康生活方式"
        self.add(
            "physical_exam",
            "健康体检报告",
            org,
            "体检科",
            "PHYSICAL_EXAM",
            when,
            f"BMI {bmi};" + ("、".join(flagged) + "异常" if flagged else "未见明显异常"),
            {
                "examNo": f"TJ{when:%Y%m%d}{self.rng.randrange(100, 999)}",
                "examDate": when.date().isoformat(),
                "examOrg": org[1],
                "symptoms": "无",
                "bodyTemperature": 36.5,
                "pulseRate": self.rng.randrange(60, 95),
                "respiratoryRate": 18,
                "systolicBP": self.rng.randrange(105, 150),
                "diastolicBP": self.rng.randrange(65, 95),
                "height": height,
                "weight": weight,
                "bmi": bmi,
                "waist": self.rng.randrange(68, 100),
                "organSystemFindings": [
                    {"system": "心脏", "finding": "心律齐,未闻及杂音"},
                    {"system": "肺部", "finding": "双肺呼吸音清"},
                    {"system": "腹部", "finding": "软,无压痛"},
                ],
                "labResults": items,
                "auxExams": [
                    {"name": "心电图", "result": "窦性心律"},
                    {"name": "胸部X线", "result": "心肺膈未见异常"},
                ],
                "summaryConclusion": "、".join(flagged) + "异常" if flagged else "未见明显异常",
                "healthAdvice": advice,
            },
        )

    def donation(self) -> None:
        when = self.when()
        station = self.rng.choice((("445000001", "广州血液中心"), ("445000002", "深圳市血液中心")))
        volume = self.rng.choice((200, 300, 400))
        self.add(
            "blood_donation",
            "献血记录",
            station,
            "采血科",
            "DONATION",
            when,
            f"全血 {volume}ml · {self.person.abo}型 Rh{self.person.rh}",
            {
                "donorFileNo": f"XX{self.rng.randrange(10**8, 10**9)}",
                "donationCode": f"=0{self.rng.randrange(10**11, 10**12)}",
                "donationDateTime": when.isoformat(),
                "bloodStation": station[1],
                "collectionCategory": "全血",
                "volumeMl": volume,
                "aboGroup": self.person.abo,
                "rhD": self.person.rh,
                "screeningResult": "合格",
                "deferral": None,
            },
        )

    def transfusion(self, when: datetime, org: tuple[str, str], diagnosis: str) -> None:
        product, volume, unit = self.rng.choice(
            (("悬浮红细胞", 2, "U"), ("新鲜冰冻血浆", 200, "ml"), ("单采血小板", 1, "治疗量"))
        )
        self.add(
            "blood_transfusion",
            f"输血记录 · {product}",
            org,
            "输血科",
            "INPATIENT",
            when,
            f"{product} {volume}{unit} · {self.person.abo}型 Rh{self.person.rh}",
            {
                "applyAbo": self.person.abo,
                "applyRh": self.person.rh,
                "abo": self.person.abo,
                "rh": self.person.rh,
                "transfusionHistoryFlag": "无",
                "transfusionCount": 1,
                "indication": "Hb < 70g/L" if "红细胞" in product else "凝血功能异常",
                "reason": "术中出血" if "术" in diagnosis else "纠正贫血",
                "nature": "常规",
                "productType": product,
                "bagNo": f"=0{self.rng.randrange(10**11, 10**12)}",
                "volume": volume,
                "volumeUnit": unit,
                "processNote": "输注过程顺利,输注前后生命体征平稳。",
                "reactionFlag": "无",
                "reactionType": None,
                "diagnosis": diagnosis,
                "transfusionDateTime": when.isoformat(),
            },
        )

    def vaccinations(self) -> None:
        born = datetime.combine(
            self.person.birth_date, datetime.min.time(), tzinfo=self.anchor.tzinfo
        ) + timedelta(hours=10)
        org = ("446000001", f"{self.rng.choice(('越秀区', '天河区', '南山区'))}社区卫生服务中心")
        doses: list[dict[str, Any]] = []
        for name, code, count, site, route, maker in catalog.VACCINES:
            start = self.anchor - timedelta(days=self.rng.randrange(400, 2000))
            start = max(start, born)
            for dose in range(1, count + 1):
                given = start + timedelta(days=30 * (dose - 1) * (5 if count == 3 else 1))
                if given >= self.anchor:
                    continue
                doses.append(
                    {
                        "vaccineName": name,
                        "vaccineCode": code,
                        "doseNo": dose,
                        "vaccinationDate": given.date().isoformat(),
                        "site": site,
                        "route": route,
                        "lotNo": f"{given:%Y}{self.rng.randrange(100, 999)}",
                        "manufacturer": maker,
                        "vaccinationOrg": org[1],
                        "vaccinator": self.rng.choice(catalog.DOCTORS),
                        "aefiHistory": "无",
                    }
                )
        doses.sort(key=lambda d: (d["vaccineName"], d["doseNo"]))
        latest = max(datetime.fromisoformat(d["vaccinationDate"]) for d in doses)
        self.add(
            "vaccination",
            "预防接种记录",
            org,
            "预防接种门诊",
            "VACCINATION",
            latest.replace(tzinfo=self.anchor.tzinfo, hour=10),
            f"共 {len(doses)} 剂次,{len({d['vaccineName'] for d in doses})} 种疫苗",
            {"doses": doses},
        )

    def own_visit(self) -> None:
        """One visit at the requesting hospital itself: hidden by ``excludeOwnOrg``."""
        when = self.when(200)
        self.add(
            "visit_summary",
            "门诊就诊 · 本院",
            self.own,
            "全科门诊",
            "OUTPATIENT",
            when,
            "诊断:急性上呼吸道感染(J06.9)",
            {
                "orgCode": self.own[0],
                "orgName": self.own[1],
                "diagnoses": [{"code": "J06.9", "name": "急性上呼吸道感染"}],
            },
        )


def make_documents(
    person: Resident, seed: int, anchor: datetime, own_org: tuple[str, str]
) -> list[SimDocument]:
    """Every document of one resident, newest first; all categories are present."""
    maker = _Maker(random.Random(f"{seed}:{person.person_key}"), person, anchor, own_org)
    for _ in range(maker.rng.randrange(2, 4)):
        maker.outpatient()
    maker.inpatient()
    maker.lab("肝功能", maker.when(), maker.org(), "健康查体")
    for _ in range(maker.rng.randrange(1, 3)):
        maker.exam()
    maker.physical_exam()
    maker.donation()
    if not any(d.record_type == "blood_transfusion" for d in maker.docs):
        maker.transfusion(maker.when(), maker.org(), "贫血")
    maker.vaccinations()
    maker.own_visit()
    return sorted(maker.docs, key=lambda d: d.effective_time, reverse=True)
