-- 传染病报告卡：医生填报的报告卡。
-- Infectious disease report cards as filled by the doctor.
-- table: emr_inf_report
-- key: id
-- watermark: updated_at
-- codes: id_card_type_code=id_card_type, gender_code=gender, nationality_code=nationality,
--        nation_code=ethnicity, marital_status_code=marital_status, education_code=education,
--        nultitude_type_code=population_category, dept_code=department,
--        disease_code=infectious_disease_icd10, diagnose_state_code=case_classification
SELECT r.report_id AS id,
       r.visit_no AS patient_id,
       r.visit_no AS serial_number,
       CASE WHEN c.visit_type = '2' THEN '2' WHEN c.visit_type = '1' THEN '1' ELSE '5' END
         AS activity_type_code,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       r.onset_date AS onset_date,
       r.diagnose_time AS diagnose_time,
       r.disease_code AS disease_code,
       r.disease_name AS disease_name,
       r.case_class AS diagnose_state_code,
       r.report_time AS report_date,
       s.name AS fill_doctor,
       r.report_doctor AS operator_id,
       r.report_time AS operation_time,
       '0' AS invalid_flag,
       p.sex AS gender_code,
       p.date_of_birth AS birth_date,
       p.citizenship AS nationality_code,
       p.nation AS nation_code,
       p.native_area_code AS permanent_addr_code,
       p.native_address AS permanent_addr_detail,
       p.area_code AS current_addr_code,
       a.area_name AS current_addr_name,
       p.mailing_address AS current_addr_detail,
       p.unit_name AS workunit,
       p.marital_status AS marital_status_code,
       p.phone AS tel,
       p.next_of_kin AS contacts,
       p.next_of_kin_phone AS contacts_tel,
       p.education AS education_code,
       r.occupation AS nultitude_type_code,
       COALESCE(c.visit_dept, v.dept_admission_to) AS dept_code,
       k.dept_name AS dept_name,
       k.org_code AS report_org_code,
       k.org_code AS org_code,
       r.modify_time AS updated_at
FROM infect_report r
JOIN pat_master_index p ON p.patient_id = r.patient_id
LEFT JOIN clinic_master c ON c.visit_no = r.visit_no
LEFT JOIN pat_visit v ON v.inp_no = r.visit_no
LEFT JOIN area_dict a ON a.area_code = p.area_code
LEFT JOIN dept_dict k ON k.dept_code = COALESCE(c.visit_dept, v.dept_admission_to)
LEFT JOIN staff_dict s ON s.emp_no = r.report_doctor
WHERE r.modify_time >= :since AND r.modify_time <= :until
ORDER BY r.modify_time, r.report_id
