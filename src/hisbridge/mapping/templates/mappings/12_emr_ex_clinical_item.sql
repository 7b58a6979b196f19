-- 检查报告项目：本院每份检查报告一个项目。
-- Exam report items: one item per report in this HIS.
-- table: emr_ex_clinical_item
-- key: id
-- watermark: updated_at
-- codes: item_code=exam_item, examination_result_code=exam_result
SELECT e.exam_no AS id,
       e.exam_no AS ex_clinical_id,
       e.exam_sub_class AS item_name,
       e.abnormal AS examination_result_code,
       e.reporter AS operator_id,
       e.report_time AS operation_time,
       '0' AS invalid_flag,
       e.exam_class AS item_code,
       k.org_code AS org_code,
       e.modify_time AS updated_at
FROM exam_master e
LEFT JOIN dept_dict k ON k.dept_code = e.req_dept
WHERE e.modify_time >= :since AND e.modify_time <= :until
ORDER BY e.modify_time, e.exam_no
