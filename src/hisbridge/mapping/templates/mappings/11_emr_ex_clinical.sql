-- 检查报告（PACS/病理）。HIS 物理删除报告，无删除标志：删除靠当日键集比对发现。
-- Exam reports. Deleted rows vanish (no flag): found by the day's key-set comparison.
-- table: emr_ex_clinical
-- key: id
-- watermark: updated_at
-- codes: id_card_type_code=id_card_type, apply_dept_code=department, dept_code=department,
--        examination_type_code=exam_category
SELECT e.exam_no AS id,
       e.visit_no AS patient_id,
       CASE e.visit_class WHEN 'O' THEN '1' WHEN 'E' THEN '2' ELSE '6' END AS activity_type_code,
       e.visit_no AS serial_number,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       e.exam_no AS application_form_no,
       kr.dept_name AS apply_dept_name,
       e.req_dept AS apply_dept_code,
       e.description AS examination_objective_desc,
       e.impression AS examination_subjective_desc,
       e.exam_no AS examination_report_no,
       e.report_time AS examination_report_date,
       e.reporter AS examination_report_id,
       e.exam_dept AS dept_code,
       ke.dept_name AS dept_name,
       e.reporter AS operator_id,
       e.report_time AS operation_time,
       '0' AS invalid_flag,
       e.exam_class AS examination_type_code,
       kr.org_code AS apply_org_code,
       kr.org_code AS org_code,
       e.modify_time AS updated_at
FROM exam_master e
JOIN pat_master_index p ON p.patient_id = e.patient_id
LEFT JOIN dept_dict kr ON kr.dept_code = e.req_dept
LEFT JOIN dept_dict ke ON ke.dept_code = e.exam_dept
WHERE e.modify_time >= :since AND e.modify_time <= :until
ORDER BY e.modify_time, e.exam_no
