"""Clinical free text for the synthetic notes: short, plausible and varied enough."""

from __future__ import annotations

import random

__all__ = ["complaint", "exam_text", "note_texts"]

_COMPLAINTS = {
    "J": ("发热、咳嗽{n}天", "咽痛、流涕{n}天", "咳嗽、咳痰{n}天，伴气促"),
    "A": ("腹泻{n}天，每日5-6次", "低热、盗汗{n}周", "皮疹伴发热{n}天"),
    "B": ("乏力、纳差{n}周", "口腔疱疹、手足皮疹{n}天", "腮腺肿痛{n}天"),
    "U": ("发热、干咳{n}天", "咽干、乏力{n}天"),
    "I": ("头晕{n}天", "胸闷、心悸{n}天", "活动后胸痛{n}周"),
    "E": ("口干、多饮{n}月",),
    "K": ("上腹痛{n}天", "腹胀、反酸{n}周", "右上腹痛{n}天"),
    "*": ("复查", "体检", "腰背痛{n}天", "外伤后疼痛{n}小时", "头痛{n}天"),
}


def complaint(rng: random.Random, icd: str) -> str:
    """A chief complaint that fits the diagnosis' ICD chapter."""
    options = _COMPLAINTS.get(icd[:1], _COMPLAINTS["*"])
    return rng.choice(options).format(n=rng.randint(1, 7))


def note_texts(rng: random.Random, icd: str, diag_name: str) -> dict[str, str]:
    """The sections of a clinical note for one visit."""
    temp = round(rng.uniform(36.2, 39.6), 1)
    return {
        "chief_complaint": complaint(rng, icd),
        "present_illness": f"患者{rng.randint(1, 7)}天前无明显诱因出现上述症状，"
                           f"最高体温{temp}℃，自服药物效果不佳，今来诊。",
        "past_history": rng.choice(("既往体健", "高血压病史5年", "否认肝炎、结核病史")),
        "physical_exam": f"T {temp}℃，P {rng.randint(64, 118)}次/分，神清，咽部"
                         f"{rng.choice(('充血', '无充血'))}，"
                         f"双肺呼吸音{rng.choice(('清', '粗'))}。",
        "aux_exam": rng.choice(("血常规：白细胞升高", "暂无", "胸片未见明显异常", "见检验报告")),
        "diag_text": diag_name,
        "treat_plan": rng.choice(("对症治疗，随诊", "抗感染治疗", "完善检查，必要时住院")),
    }


def exam_text(rng: random.Random, exam_class: str) -> tuple[str, str, str]:
    """Findings, impression and an abnormal flag for an exam report."""
    abnormal = rng.random() < 0.35
    if exam_class in ("DR", "CT"):
        seen = "双肺纹理增粗，右下肺见斑片状高密度影" if abnormal else "双肺纹理清晰，未见实变影"
        said = "右下肺炎症" if abnormal else "心肺未见明显异常"
    elif exam_class == "BL":
        seen, said = "送检组织镜下见慢性炎细胞浸润", "慢性炎症"
    else:
        seen = "肝内见强回声光团" if abnormal else "肝胆胰脾未见明显异常"
        said = "肝内钙化灶" if abnormal else "未见异常"
    return seen, said, "1" if abnormal else "0"
