-- 住院病案首页：出院时生成（pat_visit.discharge_time 非空）。
-- Front sheet of the inpatient record, produced at discharge.
-- table: emr_admission_record
-- key: id
-- watermark: updated_at
-- delete_flag: deleted
-- codes: id_card_type_code=id_card_type, pay_method_code=payment_method,
--        admission_dept_code=department, discharge_dept_code=department, dept_code=department,
--        discharge_diagnosis_code=icd10
SELECT v.inp_no AS id,
       v.inp_no AS patient_id,
       v.inp_no AS serial_number,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       v.charge_type AS pay_method_code,
       v.visit_id AS admission_num,
       v.patient_id AS reg_no,
       v.admission_time AS admission_date,
       v.dept_admission_to AS admission_dept_code,
       ka.dept_name AS admission_dept_name,
       v.room_no AS ward_no,
       v.discharge_time AS discharge_date,
       v.dept_discharge_from AS discharge_dept_code,
       kd.dept_name AS discharge_dept_name,
       v.room_no AS discharge_ward,
       d.diag_desc AS discharge_diagnosis_name,
       d.diag_code AS discharge_diagnosis_code,
       v.attending_doctor AS chief_physician_id,
       v.resident_doctor AS resident_physician_id,
       v.dept_discharge_from AS dept_code,
       kd.dept_name AS dept_name,
       v.resident_doctor AS operator_id,
       v.discharge_time AS operation_time,
       '0' AS invalid_flag,
       v.cancel_flag AS deleted,
       ka.org_code AS org_code,
       v.modify_time AS updated_at
FROM pat_visit v
JOIN pat_master_index p ON p.patient_id = v.patient_id
LEFT JOIN diagnosis d ON d.visit_no = v.inp_no AND d.main_flag = '1' AND d.diag_type = '5'
LEFT JOIN dept_dict ka ON ka.dept_code = v.dept_admission_to
LEFT JOIN dept_dict kd ON kd.dept_code = v.dept_discharge_from
WHERE v.discharge_time IS NOT NULL
  AND v.modify_time >= :since AND v.modify_time <= :until
ORDER BY v.modify_time, v.inp_no
