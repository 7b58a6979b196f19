-- 患者基本信息：每次就诊（门急诊挂号、住院登记）发送一次，id = 就诊号。
-- Patient information, sent once per visit (outpatient registration or admission).
-- table: emr_patient_info
-- key: id
-- watermark: updated_at
-- delete_flag: deleted
-- codes: id_card_type_code=id_card_type, gender_code=gender, nationality_code=nationality,
--        nation_code=ethnicity, marital_status_code=marital_status,
--        education_code=education, nultitude_type_code=population_category
SELECT v.visit_no AS id,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       p.sex AS gender_code,
       p.date_of_birth AS birth_date,
       p.citizenship AS nationality_code,
       p.nation AS nation_code,
       p.native_area_code AS permanent_addr_code,
       na.area_name AS permanent_addr_name,
       p.native_address AS permanent_addr_detail,
       p.area_code AS current_addr_code,
       ca.area_name AS current_addr_name,
       p.mailing_address AS current_addr_detail,
       p.unit_name AS workunit,
       p.marital_status AS marital_status_code,
       p.phone AS tel,
       p.next_of_kin AS contacts,
       p.next_of_kin_phone AS contacts_tel,
       v.doctor AS operator_id,
       v.visit_time AS operation_time,
       '0' AS invalid_flag,
       p.education AS education_code,
       p.occupation AS nultitude_type_code,
       v.cancel_flag AS deleted,
       k.org_code AS org_code,
       CASE WHEN p.modify_time > v.modify_time THEN p.modify_time ELSE v.modify_time END
         AS updated_at
FROM (SELECT visit_no, patient_id, doctor, visit_time, cancel_flag, modify_time,
             visit_dept AS dept
        FROM clinic_master
      UNION ALL
      SELECT inp_no, patient_id, resident_doctor, admission_time, cancel_flag, modify_time,
             dept_admission_to
        FROM pat_visit) v
JOIN pat_master_index p ON p.patient_id = v.patient_id
-- a county group's HIS: the institution is the visiting department's (NULL in one hospital's:
-- the gateway fills frontend.org_code); docs/group.md
LEFT JOIN dept_dict k ON k.dept_code = v.dept
LEFT JOIN area_dict ca ON ca.area_code = p.area_code
LEFT JOIN area_dict na ON na.area_code = p.native_area_code
-- re-sent when the visit or the patient master row changes (a corrected ID number releases a
-- quarantined record): the later of the two modify_times is the watermark
WHERE ((v.modify_time >= :since AND v.modify_time <= :until)
       OR (p.modify_time >= :since AND p.modify_time <= :until))
  AND (CASE WHEN p.modify_time > v.modify_time THEN p.modify_time ELSE v.modify_time END)
      <= :until
ORDER BY updated_at, v.visit_no
