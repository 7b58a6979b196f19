-- 检验报告；LIS 物理删除，无删除标志（键集比对发现）。
-- table: emr_ex_lab
-- key: id
-- watermark: xgsj
-- codes: apply_dept_code=department
SELECT r.bgxh AS id,
       r.ghxh AS patient_id,
       '1' AS activity_type_code,
       r.ghxh AS serial_number,
       r.bgxh AS application_form_no,
       r.sqks AS apply_dept_code,
       r.bgys AS examination_report_id,
       r.bgsj AS examination_report_date,
       r.bgys AS operator_id,
       r.bgsj AS operation_time,
       '0' AS invalid_flag,
       r.xgsj AS xgsj
FROM yj_jybg r
WHERE r.xgsj >= :since AND r.xgsj <= :until
ORDER BY r.xgsj, r.bgxh
