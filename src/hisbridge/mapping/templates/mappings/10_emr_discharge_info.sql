-- 出院记录（CYJL）。
-- Discharge notes (note type CYJL).
-- table: emr_discharge_info
-- key: id
-- watermark: updated_at
-- delete_flag: deleted
-- codes: id_card_type_code=id_card_type, dept_code=department,
--        discharge_diagnosis_code=icd10, admission_diagnosis_code=icd10,
--        disease_progression_code=disease_outcome
SELECT n.note_id AS id,
       n.visit_no AS patient_id,
       v.inp_no AS serial_number,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       v.ward_name AS ward_name,
       v.room_no AS ward_no,
       v.bed_no AS bed_no,
       v.admission_time AS admission_date,
       n.present_illness AS admission_desc,
       d.diag_code AS admission_diagnosis_code,
       d.diag_desc AS admission_diagnosis_name,
       n.aux_exam AS studies_summary_result,
       n.content AS treatment_desc,
       n.physical_exam AS discharge_desc,
       v.discharge_time AS discharge_date,
       d.diag_desc AS discharge_diagnosis_name,
       d.diag_code AS discharge_diagnosis_code,
       n.treat_plan AS discharge_order,
       v.resident_doctor AS resident_physician_id,
       v.attending_doctor AS chief_physician_id,
       v.dept_discharge_from AS dept_code,
       k.dept_name AS dept_name,
       n.author AS operator_id,
       n.create_time AS operation_time,
       '0' AS invalid_flag,
       n.outcome AS disease_progression_code,
       n.del_flag AS deleted,
       k.org_code AS org_code,
       n.modify_time AS updated_at
FROM emr_note n
JOIN pat_visit v ON v.inp_no = n.visit_no
JOIN pat_master_index p ON p.patient_id = v.patient_id
LEFT JOIN diagnosis d ON d.visit_no = n.visit_no AND d.main_flag = '1' AND d.diag_type = '5'
LEFT JOIN dept_dict k ON k.dept_code = v.dept_discharge_from
WHERE n.note_type = 'CYJL'
  AND n.modify_time >= :since AND n.modify_time <= :until
ORDER BY n.modify_time, n.note_id
