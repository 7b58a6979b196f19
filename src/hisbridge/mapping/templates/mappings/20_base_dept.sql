-- 科室：院内科室及其对应的标准科室；全量发送，从不删除（前置软件不允许删除科室）。
-- Departments with their standard department; complete and never deleted.
-- table: base_dept
-- key: dept_code
-- watermark: updated_at
-- codes: target_dept_code=department
SELECT d.dept_code AS dept_code,
       d.dept_name AS dept_name,
       d.dept_code AS target_dept_code,
       d.input_date AS create_time,
       d.modify_time AS updated_at
FROM dept_dict d
WHERE d.modify_time >= :since AND d.modify_time <= :until
ORDER BY d.modify_time, d.dept_code
