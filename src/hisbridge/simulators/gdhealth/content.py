"""Seeded clinical content for every category of record-types.json.

Values are plausible, not real: lab items carry reference ranges and H/L flags computed from
them, exams have findings and impressions, vaccinations follow a schedule, transfusions and
donations carry the resident's blood group.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hisbridge.simulators.gdhealth.residents import OTHER_ORGS, Resident

__all__ = ["CATEGORY_OF", "SimDocument", "make_documents"]

CATEGORY_OF = {
    "visit_summary": "VISIT",
    "outpatient_record": "VISIT",
    "inpatient_discharge_summary": "VISIT",
    "lab_report": "LAB",
    "exam_report": "EXAM",
    "physical_exam": "PHYSICAL_EXAM",
    "blood_donation": "BLOOD",
    "blood_transfusion": "BLOOD",
    "vaccination": "VACCINATION",
}
DOC_CODES = {
    "visit_summary": "C0001",
    "outpatient_record": "C0002",
    "inpatient_discharge_summary": "C0053",
    "lab_report": "C0007",
    "exam_report": "C0006",
    "physical_exam": "HSDC00.04",
    "blood_donation": "WS/T865",
    "blood_transfusion": "C0013",
    "vaccination": "HSDB03.01",
}

# name, code, unit, low, high, spread
_PANELS: dict[str, list[tuple[str, str, str, float, float]]] = {
    "血常规": [
        ("白细胞计数", "WBC", "10^9/L", 3.5, 9.5),
        ("红细胞计数", "RBC", "10^12/L", 4.3, 5.8),
        ("血红蛋白", "HGB", "g/L", 130, 175),
        ("血小板计数", "PLT", "10^9/L", 125, 350),
        ("中性粒细胞百分比", "NEUT%", "%", 40, 75),
    ],
    "肝功能": [
        ("丙氨酸氨基转移酶", "ALT", "U/L", 9, 50),
        ("天门冬氨酸氨基转移酶", "AST", "U/L", 15, 40),
        ("总胆红素", "TBIL", "μmol/L", 3.4, 20.5),
        ("白蛋白", "ALB", "g/L", 40, 55),
    ],
    "肾功能": [
        ("肌酐", "CREA", "μmol/L", 57, 111),
        ("尿素", "UREA", "mmol/L", 3.1, 8.0),
        ("尿酸", "UA", "μmol/L", 208, 428),
    ],
    "血脂四项": [
        ("总胆固醇", "TC", "mmol/L", 2.8, 5.2),
        ("甘油三酯", "TG", "mmol/L", 0.45, 1.7),
        ("低密度脂蛋白胆固醇", "LDL-C", "mmol/L", 1.5, 3.4),
        ("高密度脂蛋白胆固醇", "HDL-C", "mmol/L", 1.0, 1.9),
    ],
    "糖代谢": [("空腹血糖", "GLU", "mmol/L", 3.9, 6.1), ("糖化血红蛋白", "HbA1c", "%", 4.0, 6.0)],
}
_DIAGNOSES = [
    ("J06.9", "急性上呼吸道感染"),
    ("I10", "原发性高血压"),
    ("E11.9", "2型糖尿病"),
    ("K29.7", "慢性胃炎"),
    ("J18.9", "社区获得性肺炎"),
    ("M54.5", "腰痛"),
    ("N39.0", "尿路感染"),
    ("E78.5", "高脂血症"),
    ("I25.1", "冠状动脉粥样硬化性心脏病"),
]
_INPATIENT = [
    ("K35.8", "急性阑尾炎", "腹腔镜阑尾切除术"),
    ("J18.9", "社区获得性肺炎", "抗感染治疗"),
    ("I21.4", "急性非ST段抬高型心肌梗死", "经皮冠状动脉介入治疗"),
    ("K80.1", "胆囊结石伴慢性胆囊炎", "腹腔镜胆囊切除术"),
]
_EXAMS = [
    (
        "CT",
        "胸部CT平扫",
        "胸部",
        "双肺纹理清晰,右肺上叶见一直径约4mm磨玻璃结节,纵隔未见肿大淋巴结。",
        "右肺上叶微小磨玻璃结节,建议12个月后复查。",
    ),
    (
        "US",
        "腹部彩超",
        "肝胆胰脾",
        "肝脏形态大小正常,实质回声增粗增强,胆囊壁光滑,胰脾未见异常。",
        "脂肪肝(轻度)。",
    ),
    (
        "ECG",
        "常规心电图",
        "心脏",
        "窦性心律,心率72次/分,PR间期0.16s,QRS波群正常,ST-T未见异常。",
        "窦性心律,正常心电图。",
    ),
    (
        "MR",
        "头颅MRI平扫",
        "头颅",
        "双侧基底节区见数个点状长T1长T2信号,脑室系统未见扩张。",
        "双侧基底节区腔隙性脑梗死。",
    ),
]
_VACCINES = [
    ("乙型肝炎疫苗", "0201", 3, "上臂三角肌", "肌内注射", "深圳康泰生物制品股份有限公司"),
    ("卡介苗", "0101", 1, "左上臂三角肌", "皮内注射", "上海生物制品研究所"),
    ("麻腮风联合减毒活疫苗", "1201", 2, "上臂外侧三角肌", "皮下注射", "北京生物制品研究所"),
    ("流感病毒裂解疫苗", "2101", 1, "上臂三角肌", "肌内注射", "华兰生物疫苗股份有限公司"),
    (
        "新冠病毒灭活疫苗(Vero细胞)",
        "5601",
        3,
        "上臂三角肌",
        "肌内注射",
        "北京科兴中维生物技术有限公司",
    ),
]
_DOCTORS = ("陈志强", "李晓梅", "王建国", "刘芳", "黄伟", "周敏", "吴海燕", "郑凯")


@dataclass(frozen=True, slots=True)
class SimDocument:
    doc_id: str
    person_key: str
    record_type: str
    title: str
    org_code: str
    org_name: str
    dept_name: str
    encounter_type: str
    effective_time: datetime
    summary: str
    structured: dict[str, Any]

    @property
    def category(self) -> str:
        return CATEGORY_OF[self.record_type]

    def index_item(self) -> dict[str, Any]:
        return {
            "docId": self.doc_id,
            "category": self.category,
            "recordType": self.record_type,
            "docTypeSystem": "2.16.156.10011.2.4",
            "docTypeCode": DOC_CODES[self.record_type],
            "title": self.title,
            "orgCode": self.org_code,
            "orgName": self.org_name,
            "deptName": self.dept_name,
            "encounterType": self.encounter_type,
            "effectiveTime": self.effective_time.isoformat(),
            "summary": self.summary,
            "formats": ["JSON"],
            "sensitivity": "N",
        }


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
        items = [self._lab_item(*spec) for spec in _PANELS[panel]]
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
                "reporter": self.rng.choice(_DOCTORS),
                "reviewer": self.rng.choice(_DOCTORS),
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
        code, name = self.rng.choice(_DIAGNOSES)
        doctor = self.rng.choice(_DOCTORS)
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
            f"主诉:{_COMPLAINT.get(code, '不适')}",
            {
                "visitDateTime": when.isoformat(),
                "firstVisitFlag": "初诊",
                "chiefComplaint": _COMPLAINT.get(code, "不适3天"),
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
                    for d, s, q, f in _DRUGS[:2]
                ],
            },
        )
        if self.rng.random() < 0.9:
            self.lab(self.rng.choice(list(_PANELS)), when + timedelta(minutes=20), org, name)

    def inpatient(self) -> None:
        admit, org = self.when(), self.org()
        code, name, procedure = self.rng.choice(_INPATIENT)
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
        kind, title, site, findings, impression = self.rng.choice(_EXAMS)
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
                "reporter": self.rng.choice(_DOCTORS),
            },
        )

    def physical_exam(self) -> None:
        when = self.when(900)
        org = ("455000008", "广州市健康体检中心")
        height = self.rng.randrange(152, 182)
        weight = round(self.rng.uniform(48, 88), 1)
        bmi = round(weight / (height / 100) ** 2, 1)
        items = [self._lab_item(*spec) for spec in _PANELS["血常规"][:3] + _PANELS["糖代谢"][:1]]
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
        for name, code, count, site, route, maker in _VACCINES:
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
                        "vaccinator": self.rng.choice(_DOCTORS),
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


_COMPLAINT = {
    "J06.9": "咽痛、流涕2天",
    "I10": "头晕1周,血压控制欠佳",
    "E11.9": "口干多饮1月",
    "K29.7": "上腹部隐痛2周",
    "J18.9": "发热咳嗽3天",
    "M54.5": "腰痛5天",
    "N39.0": "尿频尿急2天",
    "E78.5": "体检发现血脂异常",
    "I25.1": "活动后胸闷1月",
}
_DRUGS = [
    ("阿莫西林胶囊", "0.25g*24粒", "0.5g", "每日3次"),
    ("布洛芬缓释胶囊", "0.3g*20粒", "0.3g", "每日2次"),
    ("苯磺酸氨氯地平片", "5mg*28片", "5mg", "每日1次"),
]


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
