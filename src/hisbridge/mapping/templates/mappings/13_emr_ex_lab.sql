-- 检验报告（LIS）。
-- Lab reports.
-- table: emr_ex_lab
-- key: id
-- watermark: updated_at
-- codes: id_card_type_code=id_card_type, apply_dept_code=department, dept_code=department,
--        specimen_category_code=specimen_category
SELECT t.test_no AS id,
       t.visit_no AS patient_id,
       CASE t.visit_class WHEN 'O' THEN '1' WHEN 'E' THEN '2' ELSE '6' END AS activity_type_code,
       t.visit_no AS serial_number,
       p.name AS patient_name,
       p.id_type AS id_card_type_code,
       p.id_no AS id_card,
       t.test_no AS application_form_no,
       ko.dept_name AS apply_dept_name,
       t.ordering_dept AS apply_dept_code,
       t.ordering_doctor AS apply_physician_id,
       t.test_no AS specimen_no,
       t.sample_time AS specimen_sampling_date,
       t.receive_time AS specimen_receiving_date,
       t.reporter AS examination_physician_id,
       t.receive_time AS examination_date,
       t.test_no AS examination_report_no,
       t.test_name AS examination_objective_desc,
       t.report_time AS examination_report_date,
       t.reporter AS examination_report_id,
       t.lab_dept AS dept_code,
       kl.dept_name AS dept_name,
       t.reporter AS operator_id,
       t.report_time AS operation_time,
       '0' AS invalid_flag,
       t.specimen AS specimen_category_code,
       ko.org_code AS apply_org_code,
       ko.org_code AS org_code,
       t.modify_time AS updated_at
FROM lab_test_master t
JOIN pat_master_index p ON p.patient_id = t.patient_id
LEFT JOIN dept_dict ko ON ko.dept_code = t.ordering_dept
LEFT JOIN dept_dict kl ON kl.dept_code = t.lab_dept
WHERE t.modify_time >= :since AND t.modify_time <= :until
ORDER BY t.modify_time, t.test_no
