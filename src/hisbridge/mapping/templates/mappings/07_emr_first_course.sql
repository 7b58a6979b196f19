-- 首次病程记录（SCBC）。
-- First course notes (note type SCBC).
-- table: emr_first_course
-- key: id
-- watermark: updated_at
-- delete_flag: deleted
-- codes: id_card_type_code=id_card_type, dept_code=department, wm_inital_diagnosis_code=icd10
SELECT n.note_id AS id,
       n.visit_no AS patient_id,
       v.inp_no AS serial_number,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       v.ward_name AS ward_name,
       v.room_no AS ward_no,
       v.bed_no AS bed_no,
       n.create_time AS create_time,
       n.chief_complaint AS chief_complaint,
       n.present_illness AS present_illness_his,
       n.aux_exam AS diagnosis_basis,
       d.diag_code AS wm_inital_diagnosis_code,
       d.diag_desc AS wm_inital_diagnosis_name,
       n.treat_plan AS treatment_plan,
       v.resident_doctor AS resident_physician_id,
       v.dept_admission_to AS dept_code,
       k.dept_name AS dept_name,
       n.author AS operator_id,
       n.create_time AS operation_time,
       '0' AS invalid_flag,
       n.del_flag AS deleted,
       k.org_code AS org_code,
       n.modify_time AS updated_at
FROM emr_note n
JOIN pat_visit v ON v.inp_no = n.visit_no
JOIN pat_master_index p ON p.patient_id = v.patient_id
LEFT JOIN diagnosis d ON d.visit_no = n.visit_no AND d.main_flag = '1' AND d.diag_type = '2'
LEFT JOIN dept_dict k ON k.dept_code = v.dept_admission_to
WHERE n.note_type = 'SCBC'
  AND n.modify_time >= :since AND n.modify_time <= :until
ORDER BY n.modify_time, n.note_id
