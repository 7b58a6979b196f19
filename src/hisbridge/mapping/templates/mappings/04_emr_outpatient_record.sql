-- 门（急）诊病历：门诊病历文书（MZBL）。
-- Outpatient notes (note type MZBL) with the visit's main diagnosis.
-- table: emr_outpatient_record
-- key: id
-- watermark: updated_at
-- delete_flag: deleted
-- codes: id_card_type_code=id_card_type, dept_code=department, wm_diagnosis_code=icd10
SELECT n.note_id AS id,
       n.visit_no AS patient_id,
       n.visit_no AS serial_number,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       n.allergy_flag AS allergy_his_flag,
       c.visit_time AS outpatient_date,
       c.first_visit AS inital_diagnosis_code,
       n.chief_complaint AS chief_complaint,
       n.present_illness AS present_illness_his,
       n.past_history AS past_illness_his,
       n.physical_exam AS physical_examination,
       n.aux_exam AS studies_summary_result,
       d.diag_code AS wm_diagnosis_code,
       d.diag_desc AS wm_diagnosis_name,
       c.visit_dept AS dept_code,
       k.dept_name AS dept_name,
       n.author AS operator_id,
       n.create_time AS operation_time,
       '0' AS invalid_flag,
       n.del_flag AS deleted,
       k.org_code AS org_code,
       n.modify_time AS updated_at
FROM emr_note n
JOIN clinic_master c ON c.visit_no = n.visit_no
JOIN pat_master_index p ON p.patient_id = c.patient_id
LEFT JOIN diagnosis d ON d.visit_no = n.visit_no AND d.main_flag = '1' AND d.diag_type = '1'
LEFT JOIN dept_dict k ON k.dept_code = c.visit_dept
WHERE n.note_type = 'MZBL'
  AND n.modify_time >= :since AND n.modify_time <= :until
ORDER BY n.modify_time, n.note_id
