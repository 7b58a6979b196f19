-- 科室：院内科室及其对应的标准科室；全量发送，从不删除（前置软件不允许删除科室）。
-- Departments with their standard department; complete and never deleted.
-- 医共体（一个 HIS 多个机构）：org_code 是科室所属机构，只用于把科室发往该机构的前置软件，不是
-- base_dept 的字段。In a county group's HIS org_code routes each department to its institution.
-- table: base_dept
-- key: dept_code
-- watermark: updated_at
-- codes: target_dept_code=department
SELECT d.dept_code AS dept_code,
       d.dept_name AS dept_name,
       d.dept_code AS target_dept_code,
       d.input_date AS create_time,
       d.org_code AS org_code,
       d.modify_time AS updated_at
FROM dept_dict d
WHERE d.modify_time >= :since AND d.modify_time <= :until
ORDER BY d.modify_time, d.dept_code
