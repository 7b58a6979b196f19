-- 诊疗活动：医生保存诊断时发送（门急诊诊断、入院初步诊断），id = 诊断记录号。
-- Activity, sent when the doctor saves a diagnosis.
-- table: emr_activity_info
-- key: id
-- watermark: updated_at
-- delete_flag: deleted
-- codes: id_card_type_code=id_card_type, dept_code=department,
--        disease_code=infectious_disease_icd10?, wm_disease_code=icd10
SELECT d.diag_id AS id,
       d.visit_no AS patient_id,
       CASE d.visit_class WHEN 'O' THEN '1' WHEN 'E' THEN '2' ELSE '5' END AS activity_type_code,
       CASE d.visit_class WHEN 'O' THEN '门诊' WHEN 'E' THEN '急诊' ELSE '入院' END
         AS activity_type_name,
       d.visit_no AS serial_number,
       COALESCE(c.visit_time, v.admission_time) AS activity_time,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       n.chief_complaint AS chief_complaint,
       n.present_illness AS present_illness_his,
       n.physical_exam AS physical_examination,
       n.aux_exam AS studies_summary_result,
       d.diag_time AS diagnose_time,
       d.diag_code AS disease_code,
       d.diag_desc AS disease_name,
       d.diag_code AS wm_disease_code,
       d.diag_desc AS wm_disease_name,
       COALESCE(c.visit_dept, v.dept_admission_to) AS dept_code,
       k.dept_name AS dept_name,
       d.doctor AS operator_id,
       d.diag_time AS operation_time,
       '0' AS invalid_flag,
       s.name AS fill_doctor,
       d.del_flag AS deleted,
       k.org_code AS org_code,
       d.modify_time AS updated_at
FROM diagnosis d
LEFT JOIN clinic_master c ON c.visit_no = d.visit_no
LEFT JOIN pat_visit v ON v.inp_no = d.visit_no
JOIN pat_master_index p ON p.patient_id = COALESCE(c.patient_id, v.patient_id)
LEFT JOIN emr_note n ON n.visit_no = d.visit_no AND n.note_type IN ('MZBL', 'RYJL')
LEFT JOIN dept_dict k ON k.dept_code = COALESCE(c.visit_dept, v.dept_admission_to)
LEFT JOIN staff_dict s ON s.emp_no = d.doctor
WHERE d.diag_type IN ('1', '2')
  AND d.modify_time >= :since AND d.modify_time <= :until
ORDER BY d.modify_time, d.diag_id
