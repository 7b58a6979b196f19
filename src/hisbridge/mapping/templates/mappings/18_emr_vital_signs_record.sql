-- 生命体征护理记录：含重症监护、呼吸机使用标志。
-- Nursing vital signs with the ICU and ventilator flags.
-- table: emr_vital_signs_record
-- key: id
-- watermark: updated_at
-- codes: id_card_type_code=id_card_type, dept_code=department,
--        ventilatorused_code=yes_no, critical_care_code=yes_no
SELECT s.rec_id AS id,
       s.inp_no AS patient_id,
       '6' AS activity_type_code,
       s.inp_no AS serial_number,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       s.time_point AS create_date,
       s.ventilator_flag AS ventilatorused_code,
       s.icu_flag AS critical_care_code,
       s.ward_dept AS dept_code,
       k.dept_name AS dept_name,
       s.nurse AS operator_id,
       s.time_point AS operation_time,
       '0' AS invalid_flag,
       k.org_code AS org_code,
       s.modify_time AS updated_at
FROM vital_signs_rec s
JOIN pat_master_index p ON p.patient_id = s.patient_id
LEFT JOIN dept_dict k ON k.dept_code = s.ward_dept
WHERE s.modify_time >= :since AND s.modify_time <= :until
ORDER BY s.modify_time, s.rec_id
