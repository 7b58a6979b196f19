-- 日常病程记录（RCBC）。
-- Daily course notes (note type RCBC).
-- table: emr_daily_course
-- key: id
-- watermark: updated_at
-- delete_flag: deleted
-- codes: id_card_type_code=id_card_type, dept_code=department
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
       n.content AS course,
       n.treat_plan AS order_content,
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
LEFT JOIN dept_dict k ON k.dept_code = v.dept_admission_to
WHERE n.note_type = 'RCBC'
  AND n.modify_time >= :since AND n.modify_time <= :until
ORDER BY n.modify_time, n.note_id
