-- 死亡信息。
-- Deaths.
-- table: emr_death_info
-- key: id
-- watermark: updated_at
-- codes: id_card_type_code=id_card_type, dept_code=department,
--        direct_cause_code=icd10, death_diagnosis_code=icd10
SELECT r.death_id AS id,
       r.visit_no AS patient_id,
       CASE r.visit_class WHEN 'O' THEN '1' WHEN 'E' THEN '2' ELSE '6' END AS activity_type_code,
       r.visit_no AS serial_number,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       r.course_summary AS treatment_desc,
       r.death_time AS dead_date,
       r.direct_cause AS direct_cause_name,
       r.direct_cause_code AS direct_cause_code,
       r.death_diag AS death_diagnosis_name,
       r.death_diag_code AS death_diagnosis_code,
       r.doctor AS chief_physician_id,
       r.dept AS dept_code,
       k.dept_name AS dept_name,
       r.doctor AS operator_id,
       r.death_time AS operation_time,
       '0' AS invalid_flag,
       k.org_code AS org_code,
       r.modify_time AS updated_at
FROM death_record r
JOIN pat_master_index p ON p.patient_id = r.patient_id
LEFT JOIN dept_dict k ON k.dept_code = r.dept
WHERE r.modify_time >= :since AND r.modify_time <= :until
ORDER BY r.modify_time, r.death_id
